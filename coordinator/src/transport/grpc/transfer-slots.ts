// Bounds how many member transfers hold memory at once. An upload is held whole until its
// payload matches its signed SHA-256 (only authenticated, expected members get a slot); a model download serializes its chunks into the stream's
// write buffer (up to 16 chunks before back-pressure). Without a bound, memory would grow with the
// number of members transferring together; later transfers wait for a free slot instead.

export class TransferSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.free = slots;
  }

  /** Resolves when a slot is free; call `release` exactly once afterwards. */
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
