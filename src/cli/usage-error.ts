/** A mistake in what the operator typed; its message is already in the operator's language. */
export class CliUsageError extends Error {
  constructor(message: string, readonly help?: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}
