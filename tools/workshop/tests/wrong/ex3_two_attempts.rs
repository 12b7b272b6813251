//! mistake: ex3.wrong-attempts
//! step: 7
//! Sends twice in all, not three times.

const ATTEMPTS: u32 = 2;
