//! `baken completions`: scripts generated from the clap definitions, loadable by the shell.

use crate::harness::Run;

async fn completions(shell: &str) -> Run {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_baken"))
        .args(["completions", shell])
        .output()
        .await
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const COMMANDS: [&str; 9] = [
    "plan",
    "deploy",
    "status",
    "teardown",
    "output",
    "logs",
    "cost",
    "completions",
    "dev",
];

#[tokio::test]
async fn bash_loads_the_completion_script_and_completes_every_command() {
    let run = completions("bash").await;
    run.expect_code(0);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("baken.bash");
    std::fs::write(&script, &run.stdout).unwrap();
    // Source it and ask bash for the completions of `baken ` and `baken logs --s`, calling the
    // function as bash's `complete -F` does: command, word being completed, word before it.
    let check = format!(
        "source {}; complete -p baken >/dev/null || exit 9; \
         COMP_WORDS=(baken ''); COMP_CWORD=1; _baken baken '' baken; echo \"${{COMPREPLY[@]}}\"; \
         COMP_WORDS=(baken logs --s); COMP_CWORD=2; _baken baken --s logs; echo \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "-c", &check])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = text.lines();
    let top = lines.next().unwrap_or_default();
    for c in COMMANDS {
        assert!(top.split_whitespace().any(|w| w == c), "`{c}` in: {top}");
    }
    assert!(
        lines.next().unwrap_or_default().contains("--since"),
        "{text}"
    );
}

#[tokio::test]
async fn zsh_and_fish_scripts_name_every_command() {
    // Each command as the shell's own syntax offers it, not merely the word somewhere.
    type Entry = fn(&str) -> String;
    let shells: [(&str, &str, Entry); 2] = [
        ("zsh", "#compdef baken", |c| format!("'{c}:")),
        ("fish", "complete -c baken", |c| {
            format!("-n \"__fish_baken_needs_command\" -f -a \"{c}\"")
        }),
    ];
    for (shell, marker, entry) in shells {
        let run = completions(shell).await;
        run.expect_code(0);
        assert!(run.stdout.contains(marker), "{shell}");
        for c in COMMANDS {
            assert!(run.stdout.contains(&entry(c)), "{shell}: {c}");
        }
    }
    let bad = completions("powershell7").await;
    bad.expect_code(1);
}
