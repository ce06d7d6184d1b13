//! `baken package`: the handler zip and its checksum file, as a release (or a pipeline's build
//! job) publishes them for `deploy --artifact`.

use std::process::ExitCode;

use baken::model::Architecture;
use serde_json::json;

use super::args::{ArchArg, PackageArgs};
use super::context::{architecture, build_package, load_stack};
use super::error::{CliError, EXIT_OK};
use super::output::print_json;

pub fn run(args: &PackageArgs) -> Result<ExitCode, CliError> {
    let stack = load_stack(&args.source)?;
    let arch = match args.architecture {
        Some(ArchArg::X86_64) => Architecture::X86_64,
        Some(ArchArg::Arm64) => Architecture::Arm64,
        None => architecture(&stack),
    };
    let pkg = build_package(&args.source.manifest, arch, None, args.format.json())?;
    let write = |path: &std::path::Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|source| CliError::Write {
            path: path.to_path_buf(),
            source,
        })
    };
    std::fs::create_dir_all(&args.out).map_err(|source| CliError::Write {
        path: args.out.clone(),
        source,
    })?;
    let name = format!("baken-handlers-{}.zip", arch.as_str());
    let zip = args.out.join(&name);
    let bytes = std::fs::read(&pkg.zip_path).map_err(|source| CliError::Write {
        path: pkg.zip_path.clone(),
        source,
    })?;
    write(&zip, &bytes)?;
    // The form `sha256sum -c` reads, which `deploy --artifact` checks too.
    let sha256 = baken::resource::hash::sha256_hex(&bytes);
    let sums = args.out.join(format!("{name}.sha256"));
    write(&sums, format!("{sha256}  {name}\n").as_bytes())?;
    if args.format.json() {
        print_json(&json!({
            "architecture": arch.as_str(),
            "zip_path": zip,
            "sha256": sha256,
            "sha256_file": sums,
            "zip_size": pkg.zip_size,
            "binary_size": pkg.binary_size,
        }));
    } else {
        println!(
            "{}  ({} bytes, sha256 {sha256})",
            zip.display(),
            pkg.zip_size
        );
        println!("{}", sums.display());
    }
    Ok(ExitCode::from(EXIT_OK))
}
