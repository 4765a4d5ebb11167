// The package's public argument types, in a file of their own so that the declarations a
// caller sees reach nothing internal.

/** A file name: a path, a `file:` URL, or a Buffer of the name's exact bytes. */
export type PathLike = string | URL | Buffer

/** Bytes to publish or hash; a string is taken as UTF-8. */
export type BinaryData = string | Buffer | NodeJS.TypedArray | DataView

/** What a resolved publish survives: see `AtomicFile.withDurability`. */
export type Durability = 'full' | 'file' | 'none'

/** A source for `stream()`: a Node Readable, an async iterable of chunks, or a web ReadableStream. */
export type ByteSource = NodeJS.ReadableStream | AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>
