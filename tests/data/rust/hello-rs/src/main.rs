//! Prints its argument (default 12345) formatted by the `itoa` crate, the architecture it runs as, and the target
//! its build script saw.
fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(12345);
    let mut buf = itoa::Buffer::new();
    println!(
        "hello-rs: {} on {} (build script: {})",
        buf.format(n),
        std::env::consts::ARCH,
        env!("HELLO_RS_TARGET")
    );
}
