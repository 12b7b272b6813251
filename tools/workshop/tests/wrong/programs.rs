//! The corpus of wrong programs, as one binary for the checker's tests:
//! `WORKSHOP_WRONG=ex2_read_once wrong-programs 127.0.0.1:9999` runs the
//! answer key of exercise 2 with the mistake of `ex2_read_once.rs` in it.
//! build.rs writes the code from the files beside this one.
//!
//! Not a program for learners: it exists so the tests can prove that the
//! checker fails every one of these, at the step meant for it, naming the
//! mistake.

include!(concat!(env!("OUT_DIR"), "/wrong_programs.rs"));
