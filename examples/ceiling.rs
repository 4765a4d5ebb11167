//! The core's own ceiling: the publish protocol run from Rust threads, with no Node and no
//! thread-pool round trips, for `bench/ceiling.mjs` to set beside the figures from Node.
//!
//! cargo run --release --example ceiling -- <dir> <threads|handoff> <batch> <ops> <size> <on|off|full|file|none>
//!
//! `threads` workers share `ops` publishes of `size` bytes onto 64 targets in `dir`; each
//! worker publishes `batch` at a time (1: one `publish::write` after another). Prints ops/s.
//!
//! `handoff`: the main thread hands each publish to one worker thread and waits for its result
//! before the next, as `await write()` does through libuv's pool: the same work plus two
//! cross-thread wake-ups per publish, and no JavaScript. Set beside the one-thread loop, it
//! shows what the round trip itself costs on this machine.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use atomic_publish::batch::{write_batch, WriteJob};
use atomic_publish::publish::{write, Durability, PublishOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, threads, batch, ops, size, fsync] = &args[..] else {
        eprintln!("usage: ceiling <dir> <threads> <batch> <ops> <size> <on|off>");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    let handoff = threads == "handoff";
    let (threads, batch, ops, size): (usize, usize, usize, usize) = (
        if handoff { 1 } else { threads.parse().unwrap() },
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
    if handoff {
        println!("{:.0}", handed_off(&targets, &data, &options, ops));
        return;
    }
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

/// Publishes per second when each one is handed to a worker thread and awaited.
fn handed_off(targets: &[PathBuf], data: &[u8], options: &PublishOptions, ops: usize) -> f64 {
    let (to_worker, jobs) = mpsc::channel::<usize>();
    let (to_caller, done) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for i in jobs {
                write(&targets[i % 64], data, options.clone()).expect("publish failed");
                to_caller.send(()).unwrap();
            }
        });
        let started = Instant::now();
        for i in 0..ops {
            to_worker.send(i).unwrap();
            done.recv().unwrap();
        }
        drop(to_worker);
        ops as f64 / started.elapsed().as_secs_f64()
    })
}
