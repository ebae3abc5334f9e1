//! Content fingerprints for the caches (eval outputs, math): SHA-256 over parts that are
//! each prefixed with their length, so that no two different lists of parts hash alike
//! (`["ab", "c"]` and `["a", "bc"]`).

use sha2::{Digest, Sha256};

/// The hex SHA-256 of `parts`, each length-prefixed.
pub fn hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

/// Lower-case hex, without `format!` per byte: the caches make thousands of keys a build.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// SHA-256 as a `std::hash::Hasher`: a value whose type derives `Hash` is fingerprinted
/// by feeding it in, without formatting it into a string first (the site's page keys).
/// `std`'s `Hash` writes are prefix-free (strings end with a marker, sequences start with
/// their length), so different values feed different bytes.
#[derive(Default)]
pub struct Fingerprint(Sha256);

impl Fingerprint {
    pub fn hex(self) -> String {
        hex(&self.0.finalize())
    }
}

impl std::hash::Hasher for Fingerprint {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Not used for fingerprints (`hex` is); the first eight bytes, for completeness.
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_kept_apart() {
        assert_ne!(hash(&[b"ab", b"c"]), hash(&[b"a", b"bc"]));
        assert_ne!(hash(&[b"a"]), hash(&[b"a", b""]));
        assert_eq!(hash(&[b"x"]).len(), 64);
        assert_eq!(hex(&[0x0f, 0xa0]), "0fa0");
    }

    #[test]
    fn fingerprints_tell_values_apart() {
        use std::hash::Hash;
        let print = |value: &dyn Fn(&mut Fingerprint)| {
            let mut f = Fingerprint::default();
            value(&mut f);
            f.hex()
        };
        let pair = |a: &str, b: &str| print(&|f| (a, b).hash(f));
        assert_ne!(pair("ab", "c"), pair("a", "bc"));
        assert_eq!(pair("a", "b"), pair("a", "b"));
        assert_ne!(
            print(&|f| vec!["a".to_string()].hash(f)),
            print(&|f| vec!["a".to_string(), String::new()].hash(f))
        );
    }
}
