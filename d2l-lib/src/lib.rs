//! The tensor library of the book (in progress).
