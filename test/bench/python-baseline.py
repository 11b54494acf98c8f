"""The benchmark's Python yardstick: compose and write N multipart/alternative messages with the
standard library's email package, the way a Python mail-merge script would. Prints msg/s."""
import sys, time, os
from email.message import EmailMessage
from email.headerregistry import Address

count, out_dir = int(sys.argv[1]), sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
text = open(sys.argv[3], encoding="utf-8").read()
html = open(sys.argv[4], encoding="utf-8").read()
start = time.perf_counter()
for i in range(count):
    msg = EmailMessage()
    msg["From"] = Address("Study Team", "study", "example.org")
    msg["To"] = Address("Zoë Müller", f"participant{i}", "example.org")
    msg["Subject"] = f"Your study update for Monday 23 November 2026: {i % 5} of 4 surveys"
    msg.set_content(text.replace("{{first_name}}", "Zoë"))
    msg.add_alternative(html.replace("{{first_name}}", "Zoë"), subtype="html")
    with open(os.path.join(out_dir, f"P{i}.eml"), "wb") as f:
        f.write(bytes(msg))
print(f"{count / (time.perf_counter() - start):.1f}")
