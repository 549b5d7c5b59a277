//! Prints its argument (default 12345) formatted by the `itoa` crate, and the architecture it was built for.
fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(12345);
    let mut buf = itoa::Buffer::new();
    println!("hello-rs: {} on {}", buf.format(n), std::env::consts::ARCH);
}
