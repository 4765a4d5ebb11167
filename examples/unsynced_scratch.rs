//! The crash-state suite's negative control: one publish by a build whose scratch is never
//! fsynced (feature `unsynced-scratch-control`, debug builds only). The suite traces it and
//! must find states where the target is torn.
//!
//! cargo build --example unsynced_scratch --features unsynced-scratch-control
//! unsynced_scratch <target> <content-file> <full|file>

use atomic_publish::publish::{write, Durability, PublishOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [target, content, level] = &args[..] else {
        eprintln!("usage: unsynced_scratch <target> <content-file> <full|file>");
        std::process::exit(2);
    };
    let data = std::fs::read(content).expect("content file");
    let options = PublishOptions {
        durability: Durability::parse(level).expect("full, file or none"),
        ..Default::default()
    };
    if let Err(e) = write(target.as_ref(), &data, options) {
        eprintln!("{e:?}");
        std::process::exit(1);
    }
}
