//! The core's own ceiling: the publish protocol run from Rust threads, with no Node and no
//! thread-pool round trips, for `bench/ceiling.mjs` to set beside the figures from Node.
//!
//! cargo run --release --example ceiling -- <dir> <threads> <batch> <ops> <size> <on|off|full|file|none>
//!
//! `threads` workers share `ops` publishes of `size` bytes onto 64 targets in `dir`; each
//! worker publishes `batch` at a time (1: one `publish::write` after another). Prints ops/s.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use atomic_publish::batch::{write_batch, WriteJob};
use atomic_publish::publish::{Durability, PublishOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, threads, batch, ops, size, fsync] = &args[..] else {
        eprintln!("usage: ceiling <dir> <threads> <batch> <ops> <size> <on|off>");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    let (threads, batch, ops, size): (usize, usize, usize, usize) = (
        threads.parse().unwrap(),
        batch.parse().unwrap(),
        ops.parse().unwrap(),
        size.parse().unwrap(),
    );
    let options = PublishOptions {
        durability: match fsync.as_str() {
            "on" => Durability::Full,
            level => Durability::parse(level).unwrap_or(Durability::None),
        },
        ..PublishOptions::default()
    };
    let data = vec![0x61u8; size];
    let targets: Vec<PathBuf> = (0..64).map(|i| dir.join(format!("f{i}"))).collect();
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let first = next.fetch_add(batch, Ordering::Relaxed);
                if first >= ops {
                    break;
                }
                let jobs = (first..(first + batch).min(ops))
                    .map(|i| WriteJob {
                        target: &targets[i % 64],
                        data: &data,
                        options: options.clone(),
                    })
                    .collect();
                for result in write_batch(jobs) {
                    result.expect("publish failed");
                }
            });
        }
    });
    println!("{:.0}", ops as f64 / started.elapsed().as_secs_f64());
}
