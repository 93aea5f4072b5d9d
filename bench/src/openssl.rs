//! The machine's signing limit, from another library than Cognate's: `openssl speed -multi
//! <cores>` on the primitive behind each JOSE algorithm, read from the sign/s column of the
//! table it ends with. Every failure is a sentence for the report, which then falls back to
//! Cognate's signer.

use std::process::Command;
use std::time::Duration;

use cognate::crypto::jwt::Algorithm;

/// `openssl speed`'s name for the primitive behind `alg`.
pub fn speed_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::Rs256 => "rsa2048",
        Algorithm::Es256 => "ecdsap256",
        Algorithm::EdDsa => "ed25519",
    }
}

/// Text in the label of the table row for `alg` (`rsa 2048 bits`, `256 bits ecdsa
/// (nistp256)`, `253 bits EdDSA (Ed25519)`).
fn row_label(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::Rs256 => "2048 bits",
        Algorithm::Es256 => "nistp256",
        Algorithm::EdDsa => "Ed25519",
    }
}

/// `openssl version`, or why there is no openssl to ask.
pub fn version() -> Result<String, String> {
    let out = Command::new("openssl")
        .arg("version")
        .output()
        .map_err(|e| format!("openssl is not installed ({e})"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // `OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)`: the first half.
    let line = text
        .lines()
        .next()
        .map(|l| l.split(" (").next().unwrap_or(l).trim());
    match line {
        Some(line) if out.status.success() && !line.is_empty() => Ok(line.to_string()),
        _ => Err(format!("`openssl version` failed ({})", out.status)),
    }
}

/// Signatures of `alg` per second from `openssl speed` in `cores` processes, each signing
/// for `each` (rounded up to whole seconds, at least one).
pub fn signatures_per_second(alg: Algorithm, cores: usize, each: Duration) -> Result<f64, String> {
    let name = speed_name(alg);
    let seconds = each.as_secs_f64().ceil().max(1.0) as u64;
    let command = format!("openssl speed -seconds {seconds} -multi {cores} {name}");
    let out = Command::new("openssl")
        .args(["speed", "-seconds", &seconds.to_string()])
        .args(["-multi", &cores.to_string(), name])
        // The table's decimal point must be a point.
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| format!("`{command}` did not start ({e})"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(format!(
            "`{command}` failed ({}){}",
            out.status,
            last.map_or(String::new(), |l| format!(": {}", l.trim()))
        ));
    }
    sign_rate(&String::from_utf8_lossy(&out.stdout), row_label(alg))
        .ok_or_else(|| format!("`{command}` printed no sign/s figure that could be read"))
}

/// The sign/s figure in the row labelled `label` of the table `openssl speed` ends with:
///
/// ```text
///                   sign    verify    sign/s verify/s
/// rsa 2048 bits 0.000365s 0.000024s   2737.0  40931.0
/// ```
///
/// Labels hold spaces and other versions add columns, so the column is counted from the
/// right of the header, and the row from its label.
fn sign_rate(output: &str, label: &str) -> Option<f64> {
    let lines: Vec<&str> = output.lines().collect();
    let at = lines
        .iter()
        .rposition(|l| l.split_whitespace().any(|w| w == "sign/s"))?;
    let header: Vec<&str> = lines[at].split_whitespace().collect();
    let from_right = header.len() - header.iter().position(|w| *w == "sign/s")?;
    let row = lines[at + 1..].iter().find(|l| l.contains(label))?;
    let cells: Vec<&str> = row.split_whitespace().collect();
    let rate: f64 = cells
        .get(cells.len().checked_sub(from_right)?)?
        .parse()
        .ok()?;
    (rate.is_finite() && rate > 0.0).then_some(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from OpenSSL 3.0.19 on the development machine (`-seconds 1 -multi 2`).
    const RSA: &str = "Forked child 0
Forked child 1
Got: +F2:2:2048:1364.000000:20434.000000 from 0
Got: +F2:2:2048:1373.000000:20497.000000 from 1
version: 3.0.19
built on: Fri Apr  3 12:29:32 2026 UTC
options: bn(64,64)
CPUINFO: OPENSSL_ia32cap=0xfffa32034f8bffff:0x1b415fdef1bf27eb
                  sign    verify    sign/s verify/s
rsa 2048 bits 0.000365s 0.000024s   2737.0  40931.0
";
    const ECDSA: &str = "Got: +F4:3:256:15721.000000:4368.000000 from 0
Got: +F4:3:256:13687.128713:3374.000000 from 1
version: 3.0.19
                              sign    verify    sign/s verify/s
 256 bits ecdsa (nistp256)   0.0000s   0.0001s  29408.1   7742.0
";
    const ED25519: &str = "Got: +F6:0:253:Ed25519:9515.841584:3745.000000 from 0
Got: +F6:0:253:Ed25519:5947.000000:3618.000000 from 1
version: 3.0.19
                              sign    verify    sign/s verify/s
 253 bits EdDSA (Ed25519)   0.0001s   0.0001s  15462.8   7363.0
";

    #[test]
    fn reads_the_sign_column_of_openssl_3_0() {
        assert_eq!(sign_rate(RSA, row_label(Algorithm::Rs256)), Some(2737.0));
        assert_eq!(sign_rate(ECDSA, row_label(Algorithm::Es256)), Some(29408.1));
        assert_eq!(
            sign_rate(ED25519, row_label(Algorithm::EdDsa)),
            Some(15462.8)
        );
    }

    #[test]
    fn a_row_for_another_primitive_is_no_figure() {
        assert_eq!(sign_rate(RSA, row_label(Algorithm::EdDsa)), None);
    }

    #[test]
    fn output_without_the_table_is_no_figure() {
        assert_eq!(sign_rate("", "2048 bits"), None);
        assert_eq!(
            sign_rate(
                "Forked child 0\nGot: +F2:2:2048:1364:20434 from 0\n",
                "2048 bits"
            ),
            None
        );
        let cut = RSA.replace("   2737.0  40931.0", "");
        assert_eq!(sign_rate(&cut, "2048 bits"), None);
        let zero = RSA.replace("2737.0", "0.0");
        assert_eq!(sign_rate(&zero, "2048 bits"), None);
    }
}
