"""A throwaway asyncssh SFTP server on 127.0.0.1 for aafd's interoperability tests.

asyncssh sends its server-sig-algs extension (RFC 8308) after the key exchange rather than with it, which is what
made libssh 0.10 fall back to SHA-1 and refuse itself before aafd sent `none` first. Options reproduce what other
real servers do: listings in random order, entries without permission bits (SFTP v3 allows it, so no file type),
and a server that refuses REMOVE.

Usage: asyncssh_sftp.py --port P --host-key KEY --authorized-keys FILE --root DIR [--shuffle] [--untyped]
       [--deny-remove-while FILE]
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
args = parser.parse_args()


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
