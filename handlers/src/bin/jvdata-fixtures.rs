//! Writes the JV-Data fixture corpus (`baken_handlers::jvdata::corpus`) to
//! `windows-bootstrap/gateway/tests/fixtures/`, where the gateway's and the parser's tests read it.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../windows-bootstrap/gateway/tests/fixtures");
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in baken_handlers::jvdata::corpus::files() {
        std::fs::write(dir.join(&name), &bytes)?;
        println!("{} ({} bytes)", dir.join(&name).display(), bytes.len());
    }
    Ok(())
}
