import { z } from 'zod';

// The rules for a user's fields, shared by the admin API and the CLI so neither accepts a user the
// other would refuse.
export const userEmail = z.string().trim().email().max(320);
export const userName = z.string().trim().min(1).max(100);
export const userPassword = z.string().min(8).max(1024);
export const userRole = z.enum(['admin', 'agent']);
