export declare const MEMORY_ENV: { readonly MALLOC_MMAP_THRESHOLD_: string; readonly MALLOC_TRIM_THRESHOLD_: string };
export declare const MEMORY_NODE_FLAGS: string[];
export declare function hasMemorySettings(env?: NodeJS.ProcessEnv): boolean;
export declare function memorySettingsFor(env: Record<string, string | undefined>): { env: Record<string, string>; nodeFlags: string[] };
export declare function restartWithMemorySettings(): Promise<void>;
