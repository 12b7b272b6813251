//! mistake: ex5.too-many | ex5.too-few
//! step: 4
//! Four workers, the default, whatever --threads says: too many for
//! --threads 2 or 3, too few for 5 or 6 (the seed picks).

fn start_pool(threads: usize) -> Result<SyncSender<Client>> {
    let (waiting_room, clients) = mpsc::sync_channel::<Client>(WAITING_ROOM);
    let clients = Arc::new(Mutex::new(clients));
    for _ in 0..4 {
        let clients = Arc::clone(&clients);
        thread::spawn(move || work(&clients));
    }
    Ok(waiting_room)
}
