use std::num::ParseIntError;

// ANCHOR: parse
fn parse_port(text: &str) -> Result<u16, ParseIntError> {
    text.trim().parse()
}
// ANCHOR_END: parse

fn main() {
    println!("{:?}", parse_port(" 8080 "));
}
