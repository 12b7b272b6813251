//! mistake: ex5.one-at-a-time
//! step: 3
//! One worker, whatever --threads says.

fn start_pool(threads: usize) -> Result<SyncSender<Client>> {
    let (waiting_room, clients) = mpsc::sync_channel::<Client>(WAITING_ROOM);
    let clients = Arc::new(Mutex::new(clients));
    thread::spawn(move || work(&clients));
    Ok(waiting_room)
}
