//! One crypto library in the service: aws-lc-rs. A second one (RustCrypto's RSA and curves,
//! ring) crept in once through a relying-party crate; this fails the build when any of them
//! is a normal dependency of the service again. Test dependencies may use them.

use std::process::Command;

/// Crates that must not be in the service's dependency tree.
const FORBIDDEN: [&str; 4] = ["rsa", "ring", "p256", "ed25519-dalek"];

/// `cargo tree` over the service's normal dependencies, one package a line.
fn cargo_tree(extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "-e",
            "normal",
            "-p",
            "cognate",
            "--locked",
            "--offline",
        ])
        .args(extra)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("cargo tree prints UTF-8")
}

#[test]
fn the_service_depends_on_no_second_crypto_library() {
    let tree = cargo_tree(&["--prefix", "none", "--format", "{p}"]);
    assert!(tree.contains("aws-lc-rs v"), "{tree}");
    for name in FORBIDDEN {
        if tree
            .lines()
            .any(|line| line.starts_with(&format!("{name} v")))
        {
            // The same as `cargo tree -e normal -i <name>`: the path that brings it in.
            panic!(
                "`{name}` is a normal dependency of the service:\n{}",
                cargo_tree(&["-i", name])
            );
        }
    }
}
