//! Receiving one file: its bytes are hashed (SHA-256), checked and encrypted as they
//! arrive and written to the store part by part, never held whole in memory. Its type is
//! decided from the content (`infer`, magic bytes; text: valid UTF-8 without NUL) and
//! compared with what was declared (`domain::evidence::classify`). A picture's declared
//! dimensions are read from its header (`imagesize`), never decoded, and refused above
//! the pixel limit; then a viewing copy without EXIF, XMP or other metadata is made
//! (`img-parts`: segments and chunks are dropped, the compressed image data is copied
//! untouched) for JPEG, PNG and WebP. HEIF has no viewing copy (docs/EVIDENCE.md).

use super::{cipher, object_path, Evidence, FileCopy, StoreError};
use bytes::Bytes;
use domain::evidence::{MediaKind, Refusal};
use img_parts::{ImageEXIF, ImageICC};
use sha2::{Digest, Sha256};

/// Bytes of the file's beginning kept for detection.
const HEAD_BYTES: usize = 64 * 1024;

/// Why a file was not taken.
#[derive(Debug)]
pub enum Rejected {
    /// Over `limit` bytes (the per-file limit, or what the filing has room for).
    TooLarge {
        limit: u64,
    },
    /// Refused for its content.
    Refused(Refusal),
    /// The client's body failed (cut connection, malformed multipart).
    Body(String),
    Store(StoreError),
}

impl From<StoreError> for Rejected {
    fn from(e: StoreError) -> Self {
        Rejected::Store(e)
    }
}

impl From<cipher::CipherError> for Rejected {
    fn from(e: cipher::CipherError) -> Self {
        Rejected::Store(e.into())
    }
}

/// What was received and stored.
#[derive(Debug, Clone)]
pub struct Taken {
    pub kind: MediaKind,
    pub size: u64,
    pub sha256: String,
    pub stripped: bool,
    pub viewing_size: Option<u64>,
}

/// Whether a stream of bytes is UTF-8 text without NUL, checked chunk by chunk.
#[derive(Default)]
struct TextCheck {
    carry: Vec<u8>,
    valid: bool,
    started: bool,
}

impl TextCheck {
    fn push(&mut self, chunk: &[u8]) {
        if !self.started {
            self.started = true;
            self.valid = true;
        }
        if !self.valid {
            return;
        }
        if chunk.contains(&0) {
            self.valid = false;
            return;
        }
        let mut data = std::mem::take(&mut self.carry);
        data.extend_from_slice(chunk);
        match std::str::from_utf8(&data) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => {
                self.carry = data[e.valid_up_to()..].to_vec();
            }
            Err(_) => self.valid = false,
        }
    }

    fn is_text(&self) -> bool {
        self.started && self.valid && self.carry.is_empty()
    }
}

/// The declared dimensions of a picture, from its header only.
fn dimensions(bytes: &[u8]) -> Option<(u64, u64)> {
    imagesize::blob_size(bytes)
        .ok()
        .map(|s| (s.width as u64, s.height as u64))
}

/// Receives one file from `chunks` into the store as `attachment` (encrypted with `key`),
/// at most `limit` bytes. On any refusal its objects are removed.
pub async fn receive<S, E>(
    evidence: &Evidence,
    attachment: &str,
    key: &[u8; 32],
    limit: u64,
    declared: Option<&str>,
    name: &str,
    mut chunks: S,
) -> Result<Taken, Rejected>
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    use futures_util::StreamExt;
    let original = object_path(attachment, FileCopy::Original);
    let mut writer = evidence.writer(&original).await?;
    let mut encryptor = cipher::Encryptor::new(
        key,
        cipher::context(attachment, FileCopy::Original.as_str()),
    )?;
    let mut hasher = Sha256::new();
    let mut head = Vec::new();
    let mut text = TextCheck::default();
    let mut size: u64 = 0;
    let outcome: Result<(), Rejected> = async {
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| Rejected::Body(e.to_string()))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(Rejected::TooLarge { limit });
            }
            hasher.update(&chunk);
            if head.len() < HEAD_BYTES {
                let take = (HEAD_BYTES - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            text.push(&chunk);
            let sealed = encryptor_push(&mut encryptor, &chunk)?;
            writer.write(&sealed).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        writer.abort().await;
        return Err(e);
    }
    writer.write(&encryptor.finish()?).await?;
    writer.finish().await?;
    let sha256 = hex::encode(hasher.finalize());
    match check_and_strip(
        evidence, attachment, key, limit, declared, name, &head, &text, size,
    )
    .await
    {
        Ok((kind, stripped, viewing_size)) => Ok(Taken {
            kind,
            size,
            sha256,
            stripped,
            viewing_size,
        }),
        Err(e) => {
            let _ = evidence.delete_file(attachment).await;
            Err(e)
        }
    }
}

fn encryptor_push(encryptor: &mut cipher::Encryptor, chunk: &[u8]) -> Result<Vec<u8>, Rejected> {
    Ok(encryptor.push(chunk)?)
}

/// Decides the type, checks a picture's dimensions and stores its viewing copy.
#[allow(clippy::too_many_arguments)]
async fn check_and_strip(
    evidence: &Evidence,
    attachment: &str,
    key: &[u8; 32],
    limit: u64,
    declared: Option<&str>,
    name: &str,
    head: &[u8],
    text: &TextCheck,
    size: u64,
) -> Result<(MediaKind, bool, Option<u64>), Rejected> {
    if size == 0 {
        return Err(Rejected::Refused(Refusal::Empty));
    }
    let detected = infer::get(head).map(|t| t.mime_type());
    let kind = domain::evidence::classify(detected, text.is_text(), declared, name)
        .map_err(Rejected::Refused)?;
    if !kind.is_image() {
        return Ok((kind, false, None));
    }
    let max_pixels = evidence.limits.max_image_pixels;
    // The header is usually within the first 64 KiB: a bomb is refused before the file is
    // read back.
    if let Some((w, h)) = dimensions(head) {
        domain::evidence::check_dimensions(w, h, max_pixels).map_err(Rejected::Refused)?;
    }
    let _permit = evidence
        .strip_permits
        .acquire()
        .await
        .map_err(|_| Rejected::Body("shutting down".into()))?;
    let bytes = evidence
        .read_all(attachment, FileCopy::Original, *key)
        .await?;
    let (w, h) = dimensions(&bytes).ok_or(Rejected::Refused(Refusal::UnreadableImage))?;
    domain::evidence::check_dimensions(w, h, max_pixels).map_err(Rejected::Refused)?;
    if !kind.has_stripped_copy() {
        return Ok((kind, false, None));
    }
    let viewing =
        strip(kind, Bytes::from(bytes)).ok_or(Rejected::Refused(Refusal::UnreadableImage))?;
    if viewing.len() as u64 > limit.max(size) {
        return Err(Rejected::Refused(Refusal::UnreadableImage));
    }
    let viewing_size = viewing.len() as u64;
    let sealed = cipher::encrypt_all(
        key,
        cipher::context(attachment, FileCopy::Viewing.as_str()),
        &viewing,
    )?;
    evidence
        .put(&object_path(attachment, FileCopy::Viewing), sealed)
        .await?;
    Ok((kind, true, Some(viewing_size)))
}

/// JPEG segments that carry metadata: APP1 (EXIF, XMP and extended XMP), APP12, APP13
/// (Photoshop/IPTC) and comments. APP0 (JFIF), APP2 (ICC profile), APP14 (Adobe colour)
/// stay: the picture would not show the same without them.
const JPEG_METADATA: [u8; 4] = [0xE1, 0xEC, 0xED, 0xFE];
/// PNG chunks that carry metadata: EXIF, text (XMP is an iTXt chunk), time.
const PNG_METADATA: [[u8; 4]; 5] = [*b"eXIf", *b"iTXt", *b"tEXt", *b"zTXt", *b"tIME"];

/// The picture without its metadata, or `None` when it does not parse.
pub fn strip(kind: MediaKind, bytes: Bytes) -> Option<Bytes> {
    match kind {
        MediaKind::Jpeg => {
            let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(bytes).ok()?;
            jpeg.set_exif(None);
            jpeg.segments_mut()
                .retain(|s| !JPEG_METADATA.contains(&s.marker()));
            Some(jpeg.encoder().bytes())
        }
        MediaKind::Png => {
            let mut png = img_parts::png::Png::from_bytes(bytes).ok()?;
            png.set_exif(None);
            png.chunks_mut()
                .retain(|c| !PNG_METADATA.contains(&c.kind()));
            Some(png.encoder().bytes())
        }
        MediaKind::Webp => {
            let mut webp = img_parts::webp::WebP::from_bytes(bytes).ok()?;
            webp.remove_chunks_by_id(*b"XMP ");
            // Also updates the VP8X flags to the chunks left.
            webp.set_exif(None);
            let icc = webp.icc_profile();
            webp.set_icc_profile(icc);
            Some(webp.encoder().bytes())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_utf8_without_nul_across_chunks() {
        let mut check = TextCheck::default();
        let text = "Vélo volé à Liège — 10 €".as_bytes();
        for byte in text {
            check.push(&[*byte]);
        }
        assert!(check.is_text());
        let mut nul = TextCheck::default();
        nul.push(b"abc\0def");
        assert!(!nul.is_text());
        let mut cut = TextCheck::default();
        cut.push(&text[..2]);
        assert!(!cut.is_text(), "an unfinished character is not text");
        let mut latin1 = TextCheck::default();
        latin1.push(&[0x56, 0xE9, 0x6C, 0x6F]);
        assert!(!latin1.is_text());
        assert!(!TextCheck::default().is_text());
    }
}
