//! The moto AWS emulator, started once per test process on 127.0.0.1 and killed with it.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static MOTO: OnceLock<String> = OnceLock::new();

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The venv's Python, which has moto: `BAKEN_PYTHON`, else the one beside `BAKEN_MOTO_SERVER`.
pub fn python() -> String {
    if let Ok(p) = std::env::var("BAKEN_PYTHON") {
        return p;
    }
    let server = std::env::var("BAKEN_MOTO_SERVER").unwrap_or_else(|_| {
        panic!(
            "BAKEN_PYTHON is not set: run the tests through scripts/test.sh, which installs moto"
        )
    });
    std::path::Path::new(&server)
        .with_file_name("python")
        .to_string_lossy()
        .into_owned()
}

/// moto, seeded with the Windows image and its public parameter (tests/moto/serve.py).
fn seeded_server() -> String {
    crate::harness::checkout()
        .join("tests/moto/serve.py")
        .to_string_lossy()
        .into_owned()
}

/// The emulator's URL. The first call starts it.
pub fn url() -> &'static str {
    MOTO.get_or_init(|| {
        let port = free_port();
        let (tx, rx) = std::sync::mpsc::channel();
        // The child is started from a thread that never ends, so PR_SET_PDEATHSIG (which follows
        // the spawning thread) fires only when the whole test process exits.
        std::thread::spawn(move || {
            let mut cmd = Command::new(python());
            cmd.arg(seeded_server())
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            let child = cmd.spawn();
            let _ = tx.send(child.map(|_| ()).map_err(|e| e.to_string()));
            loop {
                std::thread::park();
            }
        });
        rx.recv().expect("moto thread").expect("moto_server starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not listen on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        format!("http://127.0.0.1:{port}")
    })
}
