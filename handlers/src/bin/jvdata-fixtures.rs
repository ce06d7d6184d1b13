//! Writes the JV-Data fixture corpus (`baken_handlers::jvdata::corpus`) to
//! `windows-bootstrap/gateway/tests/fixtures/`, where the gateway's and the parser's tests read it.

use std::path::Path;

fn main() -> std::io::Result<()> {
    // `cargo run` sets the variable when it runs the binary; the compile-time value may name
    // another checkout that shared the target directory.
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf());
    let dir = crate_dir.join("../windows-bootstrap/gateway/tests/fixtures");
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in baken_handlers::jvdata::corpus::files() {
        std::fs::write(dir.join(&name), &bytes)?;
        println!("{} ({} bytes)", dir.join(&name).display(), bytes.len());
    }
    Ok(())
}
