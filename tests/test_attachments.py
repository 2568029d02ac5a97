"""Attachments (DESIGN.md §5): raw bytes, sniffed, content-addressed, idempotent, scoped."""
import hashlib
import io
import struct
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.common.domain_errors import PayloadTooLarge
from backend.extensions import db
from backend.inspections import media
from backend.inspections.models import Attachment, Check
from tests.helpers import assert_problem

MIB = 1024 * 1024


# ---------------------------------------------------------------- hand-built files

def jpeg(scan: bytes = b"\x12\x34" * 64, exif: bytes | None = None, trailer: bytes = b"") -> bytes:
    """SOI, optional EXIF APP1, one scan, EOI: enough structure for sniffing and EXIF."""
    app1 = b""
    if exif is not None:
        body = b"Exif\x00\x00" + exif
        app1 = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + app1 + sos + scan + b"\xff\xd9" + trailer


def gps_exif(lat: float, lon: float) -> bytes:
    """A big-endian TIFF block: IFD0 pointing at a GPS IFD with lat/lon and their refs."""
    def dms(value):
        degrees, rest = int(value), (value - int(value)) * 60
        return struct.pack(">6I", degrees, 1, int(rest), 1, round((rest - int(rest)) * 60 * 1000), 1000)

    ifd0 = struct.pack(">HHHIII", 1, 0x8825, 4, 1, 26, 0)  # GPSInfo -> offset 26
    gps = struct.pack(">H", 4)
    gps += struct.pack(">HHI4s", 1, 2, 2, b"S\0\0\0" if lat < 0 else b"N\0\0\0")
    gps += struct.pack(">HHII", 2, 5, 3, 80)
    gps += struct.pack(">HHI4s", 3, 2, 2, b"W\0\0\0" if lon < 0 else b"E\0\0\0")
    gps += struct.pack(">HHII", 4, 5, 3, 104)
    gps += struct.pack(">I", 0)
    return b"MM\x00\x2a" + struct.pack(">I", 8) + ifd0 + gps + dms(abs(lat)) + dms(abs(lon))


def png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def heic() -> bytes:
    def box(kind, data):
        return struct.pack(">I", 8 + len(data)) + kind + data

    return box(b"ftyp", b"heic" + b"\0\0\0\0" + b"mif1heic") + box(b"meta", b"\0" * 24) + box(b"mdat", b"\1" * 32)


WEBP = b"WEBPVP8L" + struct.pack("<I", 6) + b"\x2f\x00\x00\x00\x00\x00"
SAMPLES = {"image/jpeg": jpeg, "image/png": png, "image/heic": heic,
           "application/pdf": lambda: b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
           "image/webp": lambda: b"RIFF" + struct.pack("<I", len(WEBP)) + WEBP}


# ---------------------------------------------------------------- fixtures and helpers

@pytest.fixture
def media_root(app, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(root))
    return root


@pytest.fixture
def make_check(inspector, make_facility, make_template, media_root):
    """Checks made by `inspector` (inserted directly: the checks API has its own tests)."""
    facility, template, now = make_facility(), make_template(), datetime.now(timezone.utc)

    def make() -> Check:
        row = Check(id=uuid.uuid4(), inspector_id=inspector.id, facility_id=facility.id, template_id=template.id,
                    region_code=facility.region_code, results=[], outcome="compliant", key_failures=0,
                    general_failures=0, started_at=now - timedelta(minutes=30), finished_at=now,
                    received_at=now, body_sha256="0" * 64)
        db.session.add(row)
        db.session.flush()
        return row

    return make


@pytest.fixture
def check(make_check) -> Check:
    return make_check()


@pytest.fixture
def owner_headers(inspector, auth_headers):
    return auth_headers(inspector)


def put(client, headers, body: bytes, *, check=None, content_type="image/jpeg", attachment_id=None, **extra):
    attachment_id = attachment_id or uuid.uuid4()
    owner = check.id if check is not None else uuid.uuid4()
    return client.put(f"/api/v1/attachments/{attachment_id}?owner_type=check&owner_id={owner}", data=body,
                      content_type=content_type, headers={**headers, **extra})


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Attachment))


# ---------------------------------------------------------------- uploads

@pytest.mark.parametrize("content_type", SAMPLES)
def test_upload_is_stored_by_its_sha256(client, check, owner_headers, media_root, content_type):
    body = SAMPLES[content_type]()
    response = put(client, owner_headers, body, check=check, content_type=content_type)
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()
    sha256 = hashlib.sha256(body).hexdigest()
    assert stored["sha256"] == sha256 and stored["size_bytes"] == len(body)
    assert stored["content_type"] == content_type and stored["owner_id"] == str(check.id)
    assert files_under(media_root) == [media_root / sha256[:2] / sha256[2:4] / sha256]


def test_resending_the_same_upload_answers_the_stored_one(client, check, owner_headers, media_root):
    attachment_id = uuid.uuid4()
    first = put(client, owner_headers, jpeg(), check=check, attachment_id=attachment_id)
    again = put(client, owner_headers, jpeg(), check=check, attachment_id=attachment_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert rows() == 1 and len(files_under(media_root)) == 1


def test_other_bytes_under_the_same_id_conflict(client, check, owner_headers):
    attachment_id = uuid.uuid4()
    put(client, owner_headers, jpeg(), check=check, attachment_id=attachment_id)
    response = put(client, owner_headers, jpeg(scan=b"\x56" * 64), check=check, attachment_id=attachment_id)
    assert_problem(response, 409, "attachment_id_reused")


def test_the_same_id_for_another_owner_conflicts(client, check, make_check, owner_headers):
    attachment_id = uuid.uuid4()
    put(client, owner_headers, jpeg(), check=check, attachment_id=attachment_id)
    response = put(client, owner_headers, jpeg(), check=make_check(), attachment_id=attachment_id)
    assert_problem(response, 409, "attachment_id_reused")


def test_the_id_of_another_users_upload_conflicts(client, check, owner_headers, supervisor, auth_headers):
    attachment_id = uuid.uuid4()
    put(client, owner_headers, jpeg(), check=check, attachment_id=attachment_id)
    response = put(client, auth_headers(supervisor), jpeg(), check=check, attachment_id=attachment_id)
    assert_problem(response, 409, "attachment_id_taken")


def test_a_content_type_contradicting_the_bytes_is_refused(client, check, owner_headers, media_root):
    body = assert_problem(put(client, owner_headers, png(), check=check, content_type="image/jpeg"), 422,
                          "content_type_mismatch")
    assert (body["declared_type"], body["sniffed_type"]) == ("image/jpeg", "image/png")
    assert rows() == 0 and files_under(media_root) == []


# octet-stream claims nothing (the bytes decide); image/heif is another name of what is stored as image/heic.
@pytest.mark.parametrize("label,make,stored", [("application/octet-stream", jpeg, "image/jpeg"),
                                               ("image/heif", heic, "image/heic")])
def test_labels_that_do_not_contradict_the_bytes_are_accepted(client, check, owner_headers, label, make, stored):
    response = put(client, owner_headers, make(), check=check, content_type=label)
    assert response.status_code == 201 and response.get_json()["content_type"] == stored


def test_text_is_not_an_accepted_type(client, check, owner_headers):
    assert_problem(put(client, owner_headers, b"hello", check=check, content_type="text/plain"), 415)


def test_bytes_of_another_type_are_unsupported_whatever_the_label(client, check, owner_headers, media_root):
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    body = assert_problem(put(client, owner_headers, gif, check=check, content_type="application/octet-stream"),
                          415, "unsupported_media_type")
    assert body["sniffed_type"] == "image/gif" and files_under(media_root) == []


def test_an_empty_upload_is_refused(client, check, owner_headers):
    assert_problem(put(client, owner_headers, b"", check=check), 422, "empty_upload")


def test_a_truncated_jpeg_leaves_nothing_behind(client, check, owner_headers, media_root):
    response = put(client, owner_headers, jpeg()[:-40], check=check)
    assert_problem(response, 422, "truncated_upload")
    assert rows() == 0 and files_under(media_root) == []


def test_an_upload_over_10_mib_is_413_and_leaves_no_temporary_file(client, check, owner_headers, media_root):
    body = jpeg(scan=b"\x00" * (10 * MIB))
    assert_problem(put(client, owner_headers, body, check=check), 413, "payload_too_large")
    assert rows() == 0 and files_under(media_root) == []


def test_an_upload_of_exactly_10_mib_is_accepted(client, check, owner_headers):
    body = jpeg(scan=b"\x00" * (10 * MIB - len(jpeg(scan=b""))))
    assert len(body) == 10 * MIB
    assert put(client, owner_headers, body, check=check).status_code == 201


def test_a_sha256_header_that_does_not_match_is_refused(client, check, owner_headers, media_root):
    sent = jpeg()
    cut_but_well_formed = sent[:-3] + b"\xff\xd9"
    response = put(client, owner_headers, cut_but_well_formed, check=check,
                   **{"X-Content-SHA256": hashlib.sha256(sent).hexdigest()})
    assert_problem(response, 422, "sha256_mismatch")
    assert files_under(media_root) == []
    sha256 = hashlib.sha256(sent).hexdigest().upper()  # hex in either case
    assert put(client, owner_headers, sent, check=check, **{"X-Content-SHA256": sha256}).status_code == 201


def test_a_replay_puts_back_a_file_lost_since(client, check, owner_headers, media_root):
    attachment_id = uuid.uuid4()
    put(client, owner_headers, jpeg(), check=check, attachment_id=attachment_id)
    (lost,) = files_under(media_root)
    lost.unlink()
    assert put(client, owner_headers, jpeg(), check=check, attachment_id=attachment_id).status_code == 200
    assert files_under(media_root) == [lost]


# ---------------------------------------------------------------- EXIF

def test_exif_gps_is_stored_as_a_wgs84_point(client, check, owner_headers):
    response = put(client, owner_headers, jpeg(exif=gps_exif(37.0655, 114.4952)), check=check)
    lon, lat = response.get_json()["exif_location"]["coordinates"]
    assert lon == pytest.approx(114.4952, abs=1e-6) and lat == pytest.approx(37.0655, abs=1e-6)


def test_garbage_exif_never_fails_an_upload(client, check, owner_headers):
    response = put(client, owner_headers, jpeg(exif=b"MM\x00\x2a\xff\xff\xff\xf0garbage"), check=check)
    assert response.status_code == 201 and response.get_json()["exif_location"] is None


def test_south_and_west_refs_make_negative_coordinates(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(jpeg(exif=gps_exif(-33.8568, -70.6483)))
    lon, lat = media.exif_lonlat(path, "image/jpeg")
    assert lon == pytest.approx(-70.6483, abs=1e-6) and lat == pytest.approx(-33.8568, abs=1e-6)


# ---------------------------------------------------------------- completeness and streaming (no HTTP)

@pytest.mark.parametrize("content_type", SAMPLES)
def test_each_type_cut_short_is_incomplete(tmp_path, content_type):
    path = tmp_path / "cut"
    body = SAMPLES[content_type]()
    path.write_bytes(body)
    assert media.is_complete(path, content_type)
    path.write_bytes(body[:-7])
    assert not media.is_complete(path, content_type)


def test_the_thumbnails_end_does_not_make_a_cut_jpeg_complete(tmp_path):
    path = tmp_path / "cut.jpg"
    thumbnail_in_app1 = gps_exif(37.0, 114.5) + jpeg()  # the thumbnail's EOI sits inside APP1
    path.write_bytes(jpeg(exif=thumbnail_in_app1, scan=b"\x12\x34" * 200)[:-50])
    assert not media.is_complete(path, "image/jpeg")


def test_data_after_the_jpeg_end_is_allowed(tmp_path):
    path = tmp_path / "motion.jpg"
    path.write_bytes(jpeg(trailer=b"\x00\x00\x00\x18ftypmp42" + b"\0" * 64))  # a Motion Photo's video
    assert media.is_complete(path, "image/jpeg")


def test_a_stream_over_the_limit_is_not_read_to_its_end(tmp_path):
    stream = io.BytesIO(jpeg(scan=b"\x00" * (4 * MIB)))
    with pytest.raises(PayloadTooLarge), media.receive(stream, tmp_path, MIB):
        pass
    assert stream.tell() <= MIB + media.CHUNK and files_under(tmp_path) == []


# ---------------------------------------------------------------- who may attach and read

def test_an_unknown_owner_is_refused(client, owner_headers, media_root):
    assert_problem(put(client, owner_headers, jpeg()), 422, "unknown_owner")


# Out of sight reads as unknown; in sight but neither its inspector nor its supervisor: 403.
@pytest.mark.parametrize("role,region,status", [("inspector", "130502", 422), ("lab", "130500", 403),
                                                ("admin", "130500", 403), ("supervisor", "130502", 201)])
def test_who_may_attach_to_a_check(client, check, make_user, auth_headers, role, region, status):
    response = put(client, auth_headers(make_user(role, region)), jpeg(), check=check)
    assert response.status_code == status, response.get_json()


@pytest.fixture
def uploaded(client, check, owner_headers) -> dict:
    return put(client, owner_headers, jpeg(), check=check).get_json()


def test_the_owner_gets_the_bytes_with_their_type(client, uploaded, owner_headers):
    response = client.get(f"/api/v1/attachments/{uploaded['id']}", headers=owner_headers)
    assert response.status_code == 200 and response.data == jpeg()
    assert response.mimetype == "image/jpeg" and response.headers["ETag"] == f'"{uploaded["sha256"]}"'
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")


def test_a_matching_etag_answers_304(client, uploaded, owner_headers):
    response = client.get(f"/api/v1/attachments/{uploaded['id']}",
                          headers={**owner_headers, "If-None-Match": f'"{uploaded["sha256"]}"'})
    assert response.status_code == 304


def test_a_supervisor_of_the_region_reads_it(client, uploaded, supervisor, auth_headers):
    headers = auth_headers(supervisor)
    assert client.get(f"/api/v1/attachments/{uploaded['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/attachments/{uploaded['id']}/meta", headers=headers).get_json() == uploaded


@pytest.mark.parametrize("suffix", ["", "/meta"])
@pytest.mark.parametrize("role,region", [("inspector", "130502"), ("supervisor", "130503")])
def test_a_reader_out_of_scope_gets_404(client, uploaded, make_user, auth_headers, suffix, role, region):
    response = client.get(f"/api/v1/attachments/{uploaded['id']}{suffix}", headers=auth_headers(make_user(role,
                                                                                                        region)))
    assert_problem(response, 404, "not_found")


def test_a_checks_attachments_are_listed(client, check, uploaded, owner_headers):
    response = client.get(f"/api/v1/attachments?owner_type=check&owner_id={check.id}", headers=owner_headers)
    assert response.status_code == 200 and response.get_json() == [uploaded]

