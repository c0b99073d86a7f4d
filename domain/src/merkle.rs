//! The Merkle tree of the audit log, in the shape of RFC 9162 (Certificate Transparency
//! 2.0), section 2.1: a leaf hashes as `SHA-256(0x00 || entry)`, an interior node as
//! `SHA-256(0x01 || left || right)`, the tree over `n` leaves splits at the largest power
//! of two smaller than `n`, and the empty tree's hash is `SHA-256("")`.
//!
//! Pure functions: the proofs are generated through a [`SubtreeHashes`] source (the
//! store, or a slice of leaf hashes in memory) and verified with the algorithms of
//! sections 2.1.3.2 and 2.1.4.2.

use sha2::{Digest, Sha256};

/// A SHA-256 value (32 bytes).
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || entry)`: the hash of a leaf (RFC 9162, 2.1.1).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node (RFC 9162, 2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The hash of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two strictly smaller than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The hashes of complete subtrees: the leaf at `index` (`level` 0), or the perfect
/// subtree of `2^level` leaves starting at leaf `index << level`.
pub trait SubtreeHashes {
    type Error;
    /// The hash of the perfect subtree number `index` at `level`.
    fn perfect(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// Leaf hashes held in memory (tests, the offline verifier, small logs).
impl SubtreeHashes for &[Hash] {
    type Error = std::convert::Infallible;
    fn perfect(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        let start = (index << level) as usize;
        Ok(root_of_leaves(&self[start..start + (1usize << level)]))
    }
}

/// The root of a list of leaf hashes (`MTH` of RFC 9162, 2.1.1), recursively.
pub fn root_of_leaves(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&root_of_leaves(&leaves[..k]), &root_of_leaves(&leaves[k..]))
        }
    }
}

/// `MTH(D[start:end])` from perfect subtrees: `O(log n)` lookups.
pub fn subtree_root<S: SubtreeHashes>(
    source: &mut S,
    start: u64,
    end: u64,
) -> Result<Hash, S::Error> {
    let n = end - start;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return source.perfect(n.trailing_zeros(), start / n);
    }
    let k = split(n);
    let left = subtree_root(source, start, start + k)?;
    let right = subtree_root(source, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves (`PATH(m, D[n])`,
/// RFC 9162 2.1.3.1), from the leaf upwards. `index < size`.
pub fn inclusion_proof<S: SubtreeHashes>(
    source: &mut S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, S::Error> {
    let mut path = Vec::new();
    path_into(source, index, 0, size, &mut path)?;
    Ok(path)
}

fn path_into<S: SubtreeHashes>(
    source: &mut S,
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path_into(source, m, start, start + k, out)?;
        out.push(subtree_root(source, start + k, end)?);
    } else {
        path_into(source, m - k, start + k, end, out)?;
        out.push(subtree_root(source, start, start + k)?);
    }
    Ok(())
}

/// The consistency proof between the tree of `old_size` leaves and the tree of
/// `new_size` leaves (`PROOF(m, D[n])`, RFC 9162 2.1.4.1). `0 < old_size <= new_size`.
pub fn consistency_proof<S: SubtreeHashes>(
    source: &mut S,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, S::Error> {
    let mut proof = Vec::new();
    if old_size == 0 || old_size >= new_size {
        return Ok(proof);
    }
    subproof_into(source, old_size, 0, new_size, true, &mut proof)?;
    Ok(proof)
}

fn subproof_into<S: SubtreeHashes>(
    source: &mut S,
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    let n = end - start;
    if m == n {
        if !complete {
            out.push(subtree_root(source, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof_into(source, m, start, start + k, complete, out)?;
        out.push(subtree_root(source, start + k, end)?);
    } else {
        subproof_into(source, m - k, start + k, end, false, out)?;
        out.push(subtree_root(source, start, start + k)?);
    }
    Ok(())
}

/// Checks an inclusion proof (RFC 9162, 2.1.3.2): does `leaf` at `index` belong to the
/// tree of `size` leaves whose root is `root`?
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

/// Checks a consistency proof (RFC 9162, 2.1.4.2): is the tree of `old_size` leaves with
/// root `old_root` a prefix of the tree of `new_size` leaves with root `new_root`?
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if old_size.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    fr == *old_root && sr == *new_root && s_n == 0
}

/// The right edge of a growing tree: the roots of its perfect subtrees, largest first
/// (one per bit set in the size). Appending a leaf merges equal neighbours, and every
/// merge completes a perfect subtree, which [`Frontier::push`] reports so that the store
/// can keep it for proofs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// `(level, hash)`, levels strictly decreasing.
    nodes: Vec<(u32, Hash)>,
}

/// A perfect subtree completed by an append: `(level, index, hash)`, level >= 1.
pub type CompletedNode = (u32, u64, Hash);

impl Frontier {
    /// The frontier of a tree of `size` leaves, from its perfect subtrees, largest first
    /// (as named by [`Frontier::parts`]).
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Option<Self> {
        let parts = Self::parts(size);
        if parts.len() != hashes.len() {
            return None;
        }
        let nodes = parts.iter().map(|(l, _)| *l).zip(hashes).collect();
        Some(Frontier { size, nodes })
    }

    /// The perfect subtrees `(level, index)` that make up a tree of `size` leaves,
    /// largest first.
    pub fn parts(size: u64) -> Vec<(u32, u64)> {
        let mut parts = Vec::new();
        let mut start = 0u64;
        for level in (0..64u32).rev() {
            if size & (1u64 << level) != 0 {
                parts.push((level, start >> level));
                start += 1u64 << level;
            }
        }
        parts
    }

    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf; returns the perfect subtrees (level >= 1) it completed.
    pub fn push(&mut self, leaf: Hash) -> Vec<CompletedNode> {
        let mut completed = Vec::new();
        self.nodes.push((0, leaf));
        self.size += 1;
        while self.nodes.len() >= 2 {
            let (right_level, right) = self.nodes[self.nodes.len() - 1];
            let (left_level, left) = self.nodes[self.nodes.len() - 2];
            if left_level != right_level {
                break;
            }
            self.nodes.truncate(self.nodes.len() - 2);
            let level = left_level + 1;
            let hash = node_hash(&left, &right);
            completed.push((level, (self.size >> level) - 1, hash));
            self.nodes.push((level, hash));
        }
        completed
    }

    /// The root hash of the tree (`MTH` of all its leaves).
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some((_, last)) = nodes.next() else {
            return empty_root();
        };
        nodes.fold(*last, |acc, (_, left)| node_hash(left, &acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("e{i}").as_bytes()))
            .collect()
    }

    #[test]
    fn the_frontier_root_is_the_recursive_root_at_every_size() {
        let all = leaves(70);
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), empty_root());
        for (i, leaf) in all.iter().enumerate() {
            frontier.push(*leaf);
            assert_eq!(
                frontier.root(),
                root_of_leaves(&all[..=i]),
                "size {}",
                i + 1
            );
            let mut source: &[Hash] = &all;
            let parts: Vec<Hash> = Frontier::parts(i as u64 + 1)
                .into_iter()
                .map(|(l, x)| source.perfect(l, x).unwrap_or_else(|e| match e {}))
                .collect();
            assert_eq!(
                Frontier::from_parts(i as u64 + 1, parts),
                Some(frontier.clone())
            );
        }
    }

    #[test]
    fn completed_nodes_are_the_perfect_subtrees() {
        let all = leaves(33);
        let mut frontier = Frontier::default();
        let mut completed = Vec::new();
        for leaf in &all {
            completed.extend(frontier.push(*leaf));
        }
        // 16 + 8 + 4 + 2 + 1 perfect subtrees of level >= 1 in 32 leaves.
        assert_eq!(completed.len(), 31);
        let mut source: &[Hash] = &all;
        for (level, index, hash) in completed {
            assert_eq!(source.perfect(level, index).ok(), Some(hash));
        }
    }

    #[test]
    fn proofs_verify_and_wrong_ones_do_not() {
        let all = leaves(40);
        for size in 1..=40u64 {
            let mut source: &[Hash] = &all[..size as usize];
            let root = root_of_leaves(&all[..size as usize]);
            for index in 0..size {
                let path = inclusion_proof(&mut source, index, size).unwrap_or_else(|e| match e {});
                assert!(verify_inclusion(
                    index,
                    size,
                    &all[index as usize],
                    &path,
                    &root
                ));
                assert!(!verify_inclusion(
                    index,
                    size,
                    &leaf_hash(b"x"),
                    &path,
                    &root
                ));
            }
            for old in 1..=size {
                let proof =
                    consistency_proof(&mut source, old, size).unwrap_or_else(|e| match e {});
                let old_root = root_of_leaves(&all[..old as usize]);
                assert!(
                    verify_consistency(old, size, &old_root, &root, &proof),
                    "{old} -> {size}"
                );
                if old < size {
                    assert!(!verify_consistency(old, size, &root, &root, &proof));
                }
            }
        }
    }
}
