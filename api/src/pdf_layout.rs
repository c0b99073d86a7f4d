//! A one-page column of text for the PDFs that must hold on one page (the receipt, the
//! travel authorisation): paragraphs in a face and a size, wrapped to the column's width
//! by measured width (`pdf_fonts::wrap`), set at the largest scale, from 1 down to
//! [`MIN_SCALE`], at which the whole column fits its height. A column that does not fit
//! even then says so ([`Column::fits`]), and its writer drops what it can (the receipt's
//! items beyond those that fit, named by a count).
//!
//! Lines are set in visual order (`pdf_fonts::visual`): a Hebrew or Arabic name reads
//! right to left.

use crate::pdf_fonts::{visual, width, wrap, Face, Fonts};
use printpdf::{Mm, Op, Point, Pt, TextItem};

/// The smallest scale a column is set at: 10 pt text at 5.5 pt, still legible printed.
pub const MIN_SCALE: f32 = 0.55;
/// Line height, as a multiple of the font size.
const LEADING: f32 = 1.35;

/// One paragraph of a column, or vertical space.
#[derive(Debug, Clone)]
enum Block {
    Text {
        face: Face,
        size: f32,
        text: String,
    },
    /// Space as tall as a line of text at `size`.
    Gap {
        size: f32,
    },
}

/// A column of paragraphs, laid out at its scale when written.
#[derive(Debug, Clone, Default)]
pub struct Column {
    blocks: Vec<Block>,
}

impl Column {
    /// Adds `text` as a paragraph in `face` at `size` points (at scale 1).
    pub fn text(&mut self, face: Face, size: f32, text: &str) {
        self.blocks.push(Block::Text {
            face,
            size,
            text: text.to_owned(),
        });
    }

    /// Adds space as tall as a line at `size` points (at scale 1).
    pub fn gap(&mut self, size: f32) {
        self.blocks.push(Block::Gap { size });
    }

    /// The lines of each paragraph at `scale`, wrapped to `width` points, with their
    /// face, size and line height.
    fn lines(&self, scale: f32, width: f32) -> Vec<(Face, f32, String)> {
        let mut lines = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Text { face, size, text } => {
                    let size = size * scale;
                    for line in wrap(text, *face, size, width) {
                        lines.push((*face, size, line));
                    }
                }
                Block::Gap { size } => lines.push((Face::Regular, size * scale, String::new())),
            }
        }
        lines
    }

    /// The column's height at `scale` wrapped to `width`, in points.
    fn height(&self, scale: f32, width: f32) -> f32 {
        self.lines(scale, width)
            .iter()
            .map(|(_, size, _)| size * LEADING)
            .sum()
    }

    /// The largest scale, from 1 down to [`MIN_SCALE`] by steps of 0.05, at which the
    /// column fits `height` points when wrapped to `width`; `None` when it does not fit
    /// even at the smallest.
    pub fn fits(&self, width: f32, height: f32) -> Option<f32> {
        let mut scale: f32 = 1.0;
        while scale >= MIN_SCALE - 0.001 {
            if self.height(scale, width) <= height {
                return Some(scale);
            }
            scale -= 0.05;
        }
        None
    }

    /// The column as operations at `scale`, its first baseline at (`x`, `top`) mm,
    /// wrapped to `width` points.
    pub fn ops(&self, fonts: &Fonts, scale: f32, (x, top): (f32, f32), width: f32) -> Vec<Op> {
        let mut ops = vec![
            Op::StartTextSection,
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(top)),
            },
        ];
        for (face, size, line) in self.lines(scale, width) {
            ops.push(fonts.select(face, size));
            ops.push(Op::SetLineHeight {
                lh: Pt(size * LEADING),
            });
            if !line.is_empty() {
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(visual(&line).into_owned())],
                });
            }
            ops.push(Op::AddLineBreak);
        }
        ops.push(Op::EndTextSection);
        ops
    }

    /// The widest line at `scale` (a check for the tests: no line is wider than the
    /// column).
    pub fn widest(&self, scale: f32, column: f32) -> f32 {
        self.lines(scale, column)
            .iter()
            .map(|(face, size, line)| width(line, *face, *size))
            .fold(0.0, f32::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_shrinks_to_fit_and_says_when_it_cannot() {
        let mut column = Column::default();
        for _ in 0..10 {
            column.text(Face::Regular, 10.0, "A line of ordinary text.");
        }
        assert_eq!(column.fits(300.0, 1000.0), Some(1.0));
        let at_one = column.height(1.0, 300.0);
        let scale = column.fits(300.0, at_one * 0.8).unwrap();
        assert!((MIN_SCALE..1.0).contains(&scale));
        assert!(column.height(scale, 300.0) <= at_one * 0.8);
        assert_eq!(column.fits(300.0, at_one * 0.3), None);
        // A word longer than the column is broken, so no line is wider than it.
        column.text(Face::Bold, 12.0, &"W".repeat(100));
        assert!(column.widest(1.0, 300.0) <= 300.0);
    }
}
