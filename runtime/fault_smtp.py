"""A real SMTP server on loopback whose answers a test (or a benchmark)
chooses, to put Odoo's mail queue through a mail server's faults::

    server = FaultSmtpServer().start()      # accepts and keeps every message
    server.set_mode("down")                 # the port closed: connection refused
    server.set_mode("defer")                # 451 to every recipient (try again later)
    server.set_mode("garbage")              # answers something that is not SMTP
    server.set_mode("accept", reject={"x@example.org"})   # 550 for these addresses
    server.messages                         # what it accepted, in order

It speaks the plain SMTP that Odoo's smtplib client uses (EHLO/HELO, MAIL,
RCPT, DATA, RSET, NOOP, QUIT), one thread per connection.
"""
import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field

MODES = ("accept", "down", "defer", "garbage")


@dataclass
class Received:
    """A message the server accepted."""

    mail_from: str
    recipients: list
    data: bytes
    at: float = field(default_factory=time.monotonic)  # when it was accepted
    message: email.message.EmailMessage = field(init=False, repr=False)

    def __post_init__(self):
        self.message = email.message_from_bytes(self.data, policy=email.policy.default)

    @property
    def message_id(self):
        return str(self.message["Message-Id"] or "")

    @property
    def subject(self):
        return str(self.message["Subject"] or "")


class FaultSmtpServer:
    def __init__(self, host="127.0.0.1", port=0):
        self.host = host
        self.port = port
        self.mode = "accept"
        self.reject = set()
        self.messages = []
        self.connections = 0
        self._lock = threading.Lock()
        self._listener = None
        self._thread = None

    # Control

    def start(self):
        self._listen()
        return self

    def stop(self):
        self._close_listener()

    def set_mode(self, mode, reject=()):
        """``down`` closes the port (connection refused); any other mode
        listens again on the same port."""
        if mode not in MODES:
            raise ValueError("unknown mode %r" % mode)
        with self._lock:
            self.mode = mode
            self.reject = {address.lower() for address in reject}
        if mode == "down":
            self._close_listener()
        elif self._listener is None:
            self._listen()

    def received(self):
        with self._lock:
            return list(self.messages)

    # Listening

    def _listen(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        self._thread.start()

    def _close_listener(self):
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # never connected
            listener.close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _accept_loop(self, listener):
        while True:
            try:
                connection, _address = listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    # One SMTP session

    def _serve(self, connection):
        with connection, connection.makefile("rb") as reader:
            connection.settimeout(60)
            try:
                self._session(connection, reader)
            except (OSError, ValueError):
                pass  # the client went away

    def _session(self, connection, reader):
        def reply(text):
            connection.sendall(text.encode() + b"\r\n")

        if self.mode == "garbage":
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        reply("220 fault-smtp ready")
        mail_from, recipients = None, []
        while True:
            line = reader.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                reply("250 fault-smtp")
            elif verb == "MAIL":
                mail_from, recipients = command.partition(":")[2].strip(), []
                reply("250 OK")
            elif verb == "RCPT":
                address = command.partition(":")[2].strip().strip("<>").lower()
                if self.mode == "defer":
                    reply("451 4.3.0 Mailbox temporarily unavailable, try again later")
                elif address in self.reject:
                    reply("550 5.1.1 <%s>: Recipient address rejected: User unknown" % address)
                else:
                    recipients.append(address)
                    reply("250 OK")
            elif verb == "DATA":
                if not recipients:
                    reply("503 5.5.1 No valid recipients")
                    continue
                reply("354 End data with <CR><LF>.<CR><LF>")
                data = self._read_data(reader)
                with self._lock:
                    self.messages.append(Received(mail_from, recipients, data))
                reply("250 OK queued")
                mail_from, recipients = None, []
            elif verb == "RSET":
                mail_from, recipients = None, []
                reply("250 OK")
            elif verb == "NOOP":
                reply("250 OK")
            elif verb == "QUIT":
                reply("221 Bye")
                return
            else:
                reply("502 5.5.2 Command not recognized")

    @staticmethod
    def _read_data(reader):
        lines = []
        while True:
            line = reader.readline()
            if not line or line in (b".\r\n", b".\n"):
                break
            # RFC 5321 dot-stuffing
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)
