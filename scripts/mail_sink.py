#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The demo's mailbox: an SMTP server on the loopback that keeps every
e-mail the server sends as a file of the folder (one .eml file each, which
any mail reader opens), so that the demo sends nothing out.

Usage: scripts/mail_sink.py --port 8025 var/mail"""
import argparse
import datetime as dt
import email
import email.policy
import os
import signal
import threading

from aiosmtpd.controller import Controller


class Mailbox:
    "Write each message received to the folder"

    def __init__(self, folder):
        self.folder = folder
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default)
        with self.lock:
            self.count += 1
            name = '%s-%04d.eml' % (
                dt.datetime.now().strftime('%Y%m%d-%H%M%S'), self.count)
        with open(os.path.join(self.folder, name), 'wb') as fp:
            fp.write(envelope.content)
        print(f"E-mail à {', '.join(envelope.rcpt_tos)} : "
            f"« {message.get('Subject', '')} » ({name})", flush=True)
        return '250 OK'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, default=8025)
    parser.add_argument('folder')
    args = parser.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    controller = Controller(
        Mailbox(args.folder), hostname='127.0.0.1', port=args.port)
    controller.start()
    stop = threading.Event()
    for signum in [signal.SIGINT, signal.SIGTERM]:
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == '__main__':
    main()
