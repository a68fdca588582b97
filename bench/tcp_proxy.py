"""A loopback TCP proxy that can cut the app off its PostgreSQL, or leave it hanging."""

import contextlib
import socket
import threading
import time

from processes import free_port


class TcpProxy:
    """A loopback TCP proxy in front of PostgreSQL, so a bench can take the database away from the
    app without touching the server other people may be using.

    - cut(): every proxied connection is closed and the port stops listening (new connections are
      refused) — what the app sees when PostgreSQL is restarted or stopped.
    - blackhole(): connections stay open but nothing flows, and new ones are accepted and left
      waiting — a network partition. restore() lets everything flow again.
    """

    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.mode = "down"
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._pending: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()

    def start(self) -> "TcpProxy":
        self._listen()
        self.mode = "up"
        return self

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 10
        while True:
            try:
                listener.bind(("127.0.0.1", self.port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        listener.listen(128)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True, name="pg-proxy").start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopped.is_set() and self._listener is listener:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                if not self._flowing.is_set():
                    self._pending.append(client)  # a partition: the connection waits
                    continue
            self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets.update((client, upstream))
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                while not self._flowing.wait(0.2):
                    if self._stopped.is_set():
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(src, dst)

    def _close(self, *socks) -> None:
        with self._lock:
            for sock in socks:
                self._sockets.discard(sock)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def cut(self) -> int:
        """Close every connection and stop listening; returns how many connections were cut."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            victims = list(self._sockets) + self._pending
            self._pending = []
        self._close(*victims)
        self.mode = "cut"
        return len(victims) // 2

    def blackhole(self) -> None:
        self._flowing.clear()
        self.mode = "blackhole"

    def restore(self) -> None:
        if self._listener is None:
            self._listen()
        with self._lock:
            self._flowing.set()
            pending, self._pending = self._pending, []
        for client in pending:
            self._connect(client)
        self.mode = "up"

    def stop(self) -> None:
        self._stopped.set()
        self._flowing.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            victims = list(self._sockets) + self._pending
        self._close(*victims)
