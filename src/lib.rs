//! atomic-publish: publish files atomically and verifiably.
//!
//! Everything except [`node`] is plain Rust with no knowledge of N-API, so `cargo test`
//! covers the protocol on its own; `node` is the thin layer that hands it to JavaScript.

#![deny(clippy::all)]

pub mod batch;
pub mod copy;
pub mod dir;
pub mod dirsync;
pub mod durability;
pub mod errors;
pub mod hash;
pub mod name_folding;
pub mod options;
pub mod order;
pub mod publish;
pub mod retry;
pub mod scratch;
pub mod stream;
pub mod sweep;
pub mod sys;
pub mod target;
pub mod unread;
pub mod waits;
pub mod write;

pub mod node;

#[cfg(test)]
mod test_support;
