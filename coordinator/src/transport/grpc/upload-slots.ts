// Bounds how many member uploads are buffered at once: an upload is held whole until its
// signature (over all chunks) verifies, so without a bound memory would grow with the number
// of members uploading together. Later uploads wait, paused, for a free slot (back-pressure).

export class UploadSlots {
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
