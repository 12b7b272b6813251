//! mistake: ex5.too-few | ex5.one-at-a-time
//! step: 4 | 3
//! Counts from 1: one worker fewer than asked (for --threads 2, one at a time).

fn start_pool(threads: usize) -> Result<SyncSender<Client>> {
    let (waiting_room, clients) = mpsc::sync_channel::<Client>(WAITING_ROOM);
    let clients = Arc::new(Mutex::new(clients));
    for _ in 1..threads {
        let clients = Arc::clone(&clients);
        thread::spawn(move || work(&clients));
    }
    Ok(waiting_room)
}
