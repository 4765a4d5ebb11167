// A first-in, first-out queue with O(1) push and shift, for the queues a call may wait in.
// Calls whose abort was accepted are skipped when they come out, not searched for when they
// abort: their promise has already rejected, and the work they would have done is dropped.

export class Fifo<T> {
  #items: Array<T | undefined> = []
  #head = 0

  get length(): number {
    return this.#items.length - this.#head
  }

  push(item: T): void {
    this.#items.push(item)
  }

  /** The oldest item for which `skip` is false; the skipped ones are handed to `dropped`. */
  shift(skip: (item: T) => boolean = () => false, dropped: (item: T) => void = () => {}): T | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head] as T
      this.#items[this.#head++] = undefined
      if (this.#head * 2 >= this.#items.length) this.#compact()
      if (!skip(item)) return item
      dropped(item)
    }
    return undefined
  }

  /** The oldest item for which `skip` is false, left in place; the skipped ones are dropped. */
  peek(skip: (item: T) => boolean): T | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head] as T
      if (!skip(item)) return item
      this.shift()
    }
    return undefined
  }

  #compact(): void {
    this.#items = this.#items.slice(this.#head)
    this.#head = 0
  }
}
