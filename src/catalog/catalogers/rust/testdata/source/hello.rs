fn main() {
    println!("hello from a cargo-auditable test binary");
}
