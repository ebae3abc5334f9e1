// ANCHOR: all
// ANCHOR: greet
fn greet(name: &str) {
    for _ in 0..2 {
        println!("Hello, {name}!");
    }
}
// ANCHOR_END: greet

fn main() {
    greet("Cargo");
}
// ANCHOR_END: all
