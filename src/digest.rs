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
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_kept_apart() {
        assert_ne!(hash(&[b"ab", b"c"]), hash(&[b"a", b"bc"]));
        assert_ne!(hash(&[b"a"]), hash(&[b"a", b""]));
        assert_eq!(hash(&[b"x"]).len(), 64);
    }
}
