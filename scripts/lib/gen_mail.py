#!/usr/bin/env python3
"""Writes N realistic inquiry messages (deterministic) for the benchmark: plain text in Slovenian,
English and German, windows-1250 and ISO-8859-2 bodies, HTML alternatives, quoted replies, and
PDF/JPEG-sized base64 attachments, with sizes mixed so that 2000 messages make about 65 MB.

  gen_mail.py N OUTDIR
"""
import base64
import os
import random
import sys

SUBJECTS = [
    "Prošnja za sestanek – pobratenje mest", "Mednarodni turnir mladinskih ekip", "Pupil exchange with a Maribor school",
    "Städtepartnerschaft: Einladung zum Stadtfest", "Poslovna delegacija in gospodarski forum", "Humanitarna pomoč po poplavah",
    "Kulturna izmenjava pevskih zborov", "Question about twin cities", "Erasmus+ projekt – iskanje partnerjev",
]
BODIES = {
    "sl": "Spoštovani,\n\nv našem društvu pripravljamo mednarodni projekt in bi radi sodelovali z Mestno občino Maribor. "
          "Prosimo za sestanek, na katerem bi predstavili naš načrt in možnosti sodelovanja s pobratenimi mesti.\n",
    "en": "Dear colleagues,\n\nOur school would like to start an exchange with a school in Maribor next spring. "
          "Could you tell us which schools take part in international exchanges and whom we should contact?\n",
    "de": "Sehr geehrte Damen und Herren,\n\nim Namen unserer Stadt möchten wir Sie herzlich zu unserem Stadtfest einladen "
          "und die Städtepartnerschaft mit Maribor vertiefen.\n",
}


def main():
    count, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(42)
    for n in range(1, count + 1):
        language = rng.choice(["sl", "sl", "en", "de"])
        body = BODIES[language] + ("Lep pozdrav iz Maribora. " * rng.randint(5, 60)) + "\n\nLep pozdrav,\nAna Novak\n"
        if rng.random() < 0.3:
            body += "\n-----Izvirno sporočilo-----\n" + "".join("> " + line + "\n" for line in BODIES["sl"].split("\n") * 5)
        headers = (
            f"Return-Path: <sender{n}@example.si>\r\n"
            f"From: Pošiljatelj {n} <sender{n}@example.si>\r\n"
            "To: mednarodno@maribor.example\r\n"
            f"Subject: =?UTF-8?B?{base64.b64encode(rng.choice(SUBJECTS).encode()).decode()}?=\r\n"
            "Date: Fri, 27 Nov 2026 10:00:00 +0100\r\n"
            f"Message-ID: <bench-{n}@example.si>\r\nMIME-Version: 1.0\r\n"
        )
        shape = rng.random()
        if shape < 0.15:  # old office software: windows-1250, 8bit
            message = headers.encode() + b"Content-Type: text/plain; charset=windows-1250\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" \
                + body.encode("cp1250", "replace").replace(b"\n", b"\r\n")
        elif shape < 0.55:  # plain UTF-8, quoted-printable
            import quopri
            message = headers.encode() + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" \
                + quopri.encodestring(body.encode()).replace(b"\n", b"\r\n")
        else:  # Outlook/Gmail: alternative text+HTML, often with an attachment
            boundary = f"=_b{n}"
            html = "<html><body><p>" + body.replace("\n", "<br>").replace("š", "&scaron;") + "</p></body></html>"
            parts = [
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(body.encode()).decode().replace("\n", "\r\n"),
                "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(html.encode()).decode().replace("\n", "\r\n"),
            ]
            inner = f"--{boundary}\r\n" + f"\r\n--{boundary}\r\n".join(parts) + f"\r\n--{boundary}--\r\n"
            if rng.random() < 0.6:
                outer = f"=_o{n}"
                size = int(rng.lognormvariate(10.95, 0.9))  # median ~57 kB, a tail of larger documents
                attachment = base64.encodebytes(rng.randbytes(min(size, 2_000_000))).decode().replace("\n", "\r\n")
                message = (headers + f'Content-Type: multipart/mixed; boundary="{outer}"\r\n\r\n'
                           f"--{outer}\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n{inner}"
                           f"\r\n--{outer}\r\nContent-Type: application/pdf; name=\"dopis-{n}.pdf\"\r\n"
                           f"Content-Disposition: attachment; filename=\"dopis-{n}.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                           f"{attachment}\r\n--{outer}--\r\n").encode()
            else:
                message = (headers + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n' + inner).encode()
        with open(os.path.join(out, f"{n:06d}.eml"), "wb") as f:
            f.write(message)


if __name__ == "__main__":
    main()
