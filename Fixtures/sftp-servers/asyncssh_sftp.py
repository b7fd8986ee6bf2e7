"""A throwaway asyncssh SFTP server on 127.0.0.1 for aafd's interoperability tests.

asyncssh sends its server-sig-algs extension (RFC 8308) after the key exchange rather than with it, which is what
made libssh 0.10 fall back to SHA-1 and refuse itself before aafd sent `none` first. Options reproduce what other
real servers do: listings in random order, entries without permission bits (SFTP v3 allows it, so no file type),
a server that refuses REMOVE, and the short reads SFTP allows (draft-ietf-secsh-filexfer-02 §6.4: "the server MAY
return less data"): replies capped at N bytes, of a random length, or the last block short and then EOF (issue 21).
--hostile-status makes every open fail with a status text full of terminal escapes and a forged journal line
(issue 20).

Usage: asyncssh_sftp.py --port P --host-key KEY --authorized-keys FILE --root DIR [--shuffle] [--untyped]
       [--deny-remove-while FILE] [--read-cap N] [--read-random SEED] [--short-last] [--hostile-status]
The session is chrooted to --root: remote_dir is the path under it ("/drop"). Prints "ready" once listening.
"""
import argparse
import asyncio
import os
import random
import sys

import asyncssh

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--host-key", required=True)
parser.add_argument("--authorized-keys", required=True)
parser.add_argument("--root", required=True)
parser.add_argument("--shuffle", action="store_true", help="list the folder in a random order")
parser.add_argument("--untyped", action="store_true", help="send no permissions (hence no type) in listings and stat")
parser.add_argument("--deny-remove-while", help="refuse REMOVE (permission denied) while this file exists")
parser.add_argument("--read-cap", type=int, help="answer every read with at most N bytes")
parser.add_argument("--read-random", type=int, help="answer every read with 1..asked bytes, seeded")
parser.add_argument("--short-last", action="store_true", help="answer the read that reaches the end short")
parser.add_argument("--hostile-status", action="store_true", help="fail every open with a hostile status text")
args = parser.parse_args()
rng = random.Random(args.read_random)
HOSTILE = "boom\n<0>aafd: FORGED EMERGENCY LINE\x1b]0;pwned\x07\x1b[2J\r\u009b\u202e"


def strip(attrs):
    if args.untyped:
        attrs.permissions = None
        attrs.type = asyncssh.FILEXFER_TYPE_UNKNOWN
    return attrs


class Server(asyncssh.SFTPServer):
    def __init__(self, chan):
        super().__init__(chan, chroot=args.root.encode())

    async def scandir(self, path):
        names = [name async for name in super().scandir(path)]
        if args.shuffle:
            random.shuffle(names)
        for name in names:
            strip(name.attrs)
            yield name

    async def _attrs(self, result):
        return strip(await self.convert_attrs(result))

    def stat(self, path):
        return self._attrs(super().stat(path))

    def lstat(self, path):
        return self._attrs(super().lstat(path))

    def open(self, path, pflags, attrs):
        if args.hostile_status:
            raise asyncssh.SFTPFailure(HOSTILE)
        return super().open(path, pflags, attrs)

    async def read(self, file_obj, offset, size):
        data = super().read(file_obj, offset, size)
        if asyncio.iscoroutine(data):
            data = await data
        if not data:
            return data
        if args.read_cap:
            data = data[: args.read_cap]
        if args.read_random:
            data = data[: rng.randint(1, len(data))]
        if args.short_last:
            # The reply that reaches the end of the file: half of it, the rest only when asked again.
            end = os.fstat(file_obj.fileno()).st_size
            if offset + len(data) >= end and len(data) > 1:
                data = data[: len(data) // 2]
        return data

    def remove(self, path):
        if args.deny_remove_while and os.path.exists(args.deny_remove_while):
            raise asyncssh.SFTPPermissionDenied("removal refused by this server's policy")
        return super().remove(path)


class Auth(asyncssh.SSHServer):
    def begin_auth(self, username):
        return True

    def password_auth_supported(self):
        return False


async def main():
    await asyncssh.listen(
        "127.0.0.1", args.port, server_host_keys=[args.host_key], authorized_client_keys=args.authorized_keys,
        server_factory=Auth, sftp_factory=Server, allow_scp=False)
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
