#include "i18n.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>
#include <unordered_map>

namespace lontar::i18n {
namespace {

struct Message {
  std::string_view key;
  std::string_view id;  // Bahasa Indonesia
  std::string_view en;  // English
};

// The catalog. Keys are stable: tests, the web page's script and docs name them.
constexpr Message catalog[] = {
    // ---- rules reasons (docs/RULES.md lists the codes) ----
    {"reason.invalid_payload", "data tidak sah", "the entry is not valid"},
    {"reason.unknown_principal", "kantor tidak terdaftar di pusat", "the office is not registered"},
    {"reason.principal_revoked", "kunci kantor sudah dicabut", "the office's keys are revoked"},
    {"reason.not_authorized", "kantor tidak berwenang mencatat jenis ini", "not authorized for this kind of entry"},
    {"reason.role_change", "peran kantor tidak boleh diubah", "an id's role cannot change"},
    {"reason.unknown_key", "kunci tidak dikenal", "the key is not active"},
    {"reason.duplicate_enrollment", "NIK ini sudah terdaftar", "this NIK is already enrolled"},
    {"reason.unknown_participant", "peserta dengan NIK ini belum terdaftar",
     "no participant is enrolled with this NIK"},
    {"reason.duplicate_receipt", "nomor kuitansi ini sudah dipakai", "this receipt number was already recorded"},
    {"reason.duplicate_claim", "nomor klaim ini sudah dipakai", "this claim number was already recorded"},
    {"reason.programme_not_enrolled", "peserta tidak terdaftar di program ini",
     "the participant is not enrolled in this programme"},
    {"reason.unknown_claim", "klaim ini belum diajukan", "no claim with this number"},
    {"reason.void_target_invalid", "catatan yang dibatalkan tidak ada atau sudah dibatalkan",
     "nothing that can be cancelled at this seq"},
    {"reason.event_before_coverage", "kejadian sebelum awal kepesertaan", "the event is before the coverage start"},
    {"reason.above_schedule", "pembayaran melebihi manfaat menurut jadwal", "the payout is above the schedule"},
    {"reason.claim_overpaid", "jumlah pembayaran klaim melebihi manfaatnya", "the payouts on this claim exceed it"},
    {"reason.second_death_benefit", "santunan kematian kedua untuk orang yang sama",
     "a second death benefit for the same person"},
    {"reason.no_coverage", "tidak ada iuran yang menanggung tanggal kejadian", "no paid month covers the event"},
    {"reason.birth_date_conflict", "tanggal lahir yang diperbaiki tidak cocok dengan awal kepesertaan",
     "the corrected birth date does not fit the coverage start"},
    // ---- what to do about a reason ----
    {"hint.duplicate_enrollment",
     "cari orangnya dulu (lontar-agent show --nik NIK); untuk memperbaiki pendaftaran yang salah, batalkan lalu daftar "
     "ulang",
     "look the person up with `lontar-agent show --nik NIK`; to fix a wrong enrollment, void it and enroll again"},
    {"hint.unknown_participant", "daftarkan pesertanya dulu (lontar-agent enroll)",
     "enroll the participant first (`lontar-agent enroll`)"},
    {"hint.duplicate_receipt", "setiap nomor kuitansi hanya dicatat sekali; periksa kuitansinya",
     "each receipt number can be recorded once; check the receipt"},
    {"hint.duplicate_claim", "pakai nomor klaim baru, atau cari klaimnya (lontar-agent find --claim NO)",
     "use a new claim number, or `lontar-agent find --claim NO`"},
    {"hint.birth_date_conflict",
     "periksa tanggal lahirnya; jika awal kepesertaan yang salah, batalkan pendaftaran lalu daftar ulang",
     "check the birth date; if the coverage start is wrong, void the enrollment and enroll again"},
    {"hint.unknown_claim", "ajukan klaimnya dulu (lontar-agent claim)", "file the claim first (`lontar-agent claim`)"},
    {"hint.programme_not_enrolled", "peserta tidak terdaftar di program itu",
     "the participant is not enrolled in that programme"},
    {"hint.void_target_invalid", "periksa nomor urut dengan lontar-agent list --entries",
     "check the seq with `lontar-agent list --entries`"},
    {"hint.above_schedule", "periksa jumlahnya dengan jadwal manfaat; jika benar, konfirmasi dan jelaskan ke auditor",
     "check the amount against the schedule; if it is right, confirm it and explain it to the auditor"},
    {"hint.second_death_benefit", "periksa apakah santunan sudah dibayar oleh kantor lain",
     "check whether another office already paid the benefit"},
    {"hint.central_rejected", "catatan ini tidak berlaku di pusat; perbaiki datanya lalu catat ulang, atau batalkan",
     "the centre did not apply this entry; fix the data and record it again, or void it"},
    {"hint.central_flagged", "catatan berlaku tetapi ditandai untuk audit; siapkan penjelasannya",
     "the entry stands but is flagged for audit; prepare the explanation"},
    // ---- entry kinds and outcomes ----
    {"kind.participant.enroll", "pendaftaran peserta", "enrollment"},
    {"kind.participant.update", "perubahan data peserta", "participant update"},
    {"kind.contribution.paid", "pembayaran iuran", "contribution"},
    {"kind.claim.filed", "pengajuan klaim", "claim"},
    {"kind.payout.made", "pembayaran manfaat", "payout"},
    {"kind.entry.void", "pembatalan", "void"},
    {"kind.principal.register", "pendaftaran kantor", "principal registration"},
    {"kind.principal.revoke", "pencabutan kantor", "principal revocation"},
    {"kind.schedule.set", "jadwal manfaat", "schedule"},
    {"outcome.accepted", "diterima", "accepted"},
    {"outcome.rejected", "ditolak", "rejected"},
    {"outcome.flagged", "ditandai", "flagged"},
    {"outcome.pending", "menunggu sinkronisasi", "waiting to sync"},
    // ---- lontar-agent: recording ----
    {"record.recorded", "tercatat: {} sebagai {} #{} (catatan {}), disegel",
     "recorded {} as {} #{} (entry {}), sealed"},
    {"record.flagged_note", "ditandai untuk audit: {} [{}]", "flagged for audit: {} [{}]"},
    {"record.rejected", "ditolak: {} [{}]", "rejected: {} [{}]"},
    {"record.flagged", "ditandai: {} [{}]", "flagged: {} [{}]"},
    {"record.hint", "saran: {}", "hint: {}"},
    {"record.needs_confirm",
     "tidak ada yang dicatat: ulangi perintah dengan --confirm untuk mencatatnya dengan tanda audit",
     "nothing recorded: repeat the command with --confirm to record it flagged for audit"},
    {"error", "galat: {}", "error: {}"},
    {"record.nik_length", "NIK harus 16 angka, yang ini {} angka: salin lagi dari KTP atau KK",
     "a NIK has 16 digits, this one has {}: copy it again from the KTP or KK"},
    {"record.too_long", "{} karakter, lebih dari batas {}: persingkat",
     "{} characters, more than the limit of {}: shorten it"},
    {"record.update_empty",
     "tidak ada yang diubah: berikan --phone, --address, --heir, --clear-heirs, --name, --birth-date atau "
     "--occupation",
     "nothing to change: give --phone, --address, --heir, --clear-heirs, --name, --birth-date or --occupation"},
    {"record.update_same",
     "tidak ada yang berubah: data {} sudah seperti itu (lihat `show --nik {}`); tidak ada yang dicatat",
     "nothing changes: {}'s details are already so (see `show --nik {}`); nothing recorded"},
    {"record.enrolled_elsewhere",
     "orang ini sudah didaftarkan oleh {}, kepesertaan mulai {}; datanya ada di kantor itu, bukan di sini: "
     "jangan daftarkan lagi, catat iuran dan klaim dengan NIK ini",
     "this person was enrolled by {}, coverage from {}; the details are kept at that office, not here: do "
     "not enroll again, record contributions and claims under this NIK"},
    {"void.preview", "akan dibatalkan: #{} {} {} {} (dicatat {} oleh {})",
     "will cancel: #{} {} {} {} (recorded {} by {})"},
    {"void.needs_confirm",
     "tidak ada yang dicatat: ulangi perintah dengan --confirm untuk membatalkannya (tidak ada yang dihapus; "
     "pembatalan dicatat sebagai catatan baru)",
     "nothing recorded: repeat the command with --confirm to cancel it (nothing is erased; the void is recorded as a "
     "new entry)"},
    // ---- lontar-agent: list / find / show ----
    {"query.more", "masih ada lagi: halaman berikut dengan --after {} (atau --limit N)",
     "more rows: next page with --after {} (or --limit N)"},
    {"query.nothing_for", "tidak ada catatan di kantor ini untuk {}", "nothing recorded here for {}"},
    // ---- lontar-agent: sync ----
    {"sync.summary",
     "tersinkron dengan {}: {} catatan dikirim dalam {} kiriman ({} diterima, {} ditolak, {} ditandai); {} daun "
     "diambil; checkpoint ukuran pohon {}",
     "synced with {}: pushed {} entries in {} batches ({} accepted, {} rejected, {} flagged); pulled {} leaves; "
     "checkpoint tree size {}"},
    {"sync.replica_rebuilt", "replika dibangun ulang dari log pusat dengan kunci NIK buku besar",
     "replica rebuilt from the central log under the ledger's NIK key"},
    {"sync.withheld",
     "{} daun kantor lain tentang orang di luar cakupan kantor ini tidak dikirim server (disengaja): "
     "duplikat di luar cakupan hanya ditangkap oleh putusan server",
     "{} leaves of other offices about people outside this office's scope were withheld by the server (on "
     "purpose): duplicates outside the scope are caught by the server's verdict only"},
    {"sync.see_reasons", "lihat alasannya: lontar-agent list --entries --verdict rejected (atau flagged)",
     "see `lontar-agent list --entries --verdict rejected` (or flagged) for the reasons"},
    {"sync.retry", "sinkronisasi gagal, coba lagi nanti: {}", "sync failed, try again later: {}"},
    {"sync.refused", "server menolak kantor ini: {}", "the server refused this office: {}"},
    {"sync.incident_title", "RIWAYAT SERVER BERUBAH", "SERVER HISTORY CHANGED"},
    {"sync.incident_text",
     "riwayat server sinkronisasi berubah; sinkronisasi dihentikan. Beri tahu admin server dan auditor; setelah "
     "mereka menjelaskannya: lontar-agent incident clear --reason TEKS",
     "the sync server's history changed; syncing is stopped. Tell the server's admin and the auditors; after they "
     "explain it: lontar-agent incident clear --reason TEXT"},
    // ---- lontar-agent: status ----
    {"status.office", "kantor:      {} ({})", "office:      {} ({})"},
    {"status.entries", "catatan:     {} tercatat, {} belum tersinkron", "entries:     {} recorded, {} not yet synced"},
    {"status.checkpoint", "checkpoint:  ukuran pohon {}, akar {}", "checkpoint:  tree size {}, root {}"},
    {"status.no_checkpoint", "checkpoint:  (belum ada: belum pernah sinkron)", "checkpoint:  (none: not synced yet)"},
    {"status.verdicts", "putusan:     {} diterima, {} ditolak, {} ditandai oleh server",
     "verdicts:    {} accepted, {} rejected, {} flagged by the server"},
    {"status.more", "  ... semuanya: lontar-agent list --entries --verdict rejected (atau flagged)",
     "  ... all of them: lontar-agent list --entries --verdict rejected (or flagged)"},
    {"status.incident", "INSIDEN:     {}", "INCIDENT:    {}"},
    // ---- clerks ----
    {"clerk.added", "petugas {} ditambahkan", "clerk {} added"},
    {"clerk.disabled", "petugas {} dinonaktifkan", "clerk {} disabled"},
    {"clerk.enabled", "petugas {} diaktifkan kembali", "clerk {} enabled again"},
    {"clerk.none", "belum ada petugas; tambahkan dengan lontar-agent clerk add ID",
     "no clerks yet; add one with `lontar-agent clerk add ID`"},
    {"clerk.active", "aktif", "active"},
    {"clerk.inactive", "nonaktif", "disabled"},
    // ---- lontar-server status --html ----
    {"status.title", "Status server Lontar", "Lontar server status"},
    {"status.generated", "Dibuat {} oleh {} ({})", "Made {} by {} ({})"},
    {"status.ledger", "Buku besar", "Ledger"},
    {"status.verifier_key", "Kunci verifikasi", "Verifier key"},
    {"status.checkpoint_signed",
     "Checkpoint terakhir (tanda tangan diperiksa):", "Last checkpoint (signature verified):"},
    {"status.offices", "Kantor terdaftar", "Registered offices"},
    {"status.auditors", "Auditor terdaftar", "Registered auditors"},
    {"status.col.name", "Nama", "Name"},
    {"status.col.scope", "Cakupan", "Scope"},
    {"status.col.key", "Kunci", "Key"},
    {"status.col.standing", "Status", "Standing"},
    {"status.active", "aktif", "active"},
    {"status.revoked", "dicabut: {}", "revoked: {}"},
    {"status.scope_all", "semua", "all"},
    {"status.ingest", "Penerimaan data", "Ingest"},
    {"status.ingest_chart", "Penghitung sejak server dijalankan", "Counters since the server started"},
    {"status.no_metrics", "tidak ada metrik", "no metrics"},
    {"status.all_metrics", "Semua metrik (/metrics)", "All metrics (/metrics)"},
    {"status.col.metric", "Metrik", "Metric"},
    {"status.col.value", "Nilai", "Value"},
    {"status.m.entries_integrated", "Catatan masuk log", "Entries integrated"},
    {"status.m.verdicts_rejected", "Putusan ditolak", "Verdicts rejected"},
    {"status.m.verdicts_flagged", "Putusan ditandai", "Verdicts flagged"},
    {"status.m.pushes", "Kiriman kantor", "Office pushes"},
    {"status.m.batches_refused", "Kiriman ditolak", "Batches refused"},
    {"status.m.equivocations", "Ekuivokasi kantor", "Office equivocations"},
    {"status.m.unregistered_keys", "Koneksi kunci tak terdaftar", "Connections with unregistered keys"},
    // ---- lontar-agent serve: the office's web page ----
    {"web.serving", "Halaman kantor: {} (hentikan dengan Ctrl+C)", "Office page: {} (stop with Ctrl+C)"},
    {"web.fingerprint", "Sidik jari sertifikat (SHA-256) — cocokkan di browser setiap meja sebelum menerimanya: {}",
     "Certificate fingerprint (SHA-256) — check it in each desk's browser before accepting it: {}"},
    {"web.certificate_created", "Sertifikat kantor dibuat: {}", "Office certificate made: {}"},
    {"web.nav.home", "Beranda", "Home"},
    {"web.nav.search", "Cari dulu", "Search first"},
    {"web.nav.contribute", "Iuran", "Contribution"},
    {"web.nav.claim", "Klaim", "Claim"},
    {"web.nav.pay", "Pembayaran", "Payout"},
    {"web.nav.sync", "Sinkronisasi", "Sync"},
    {"web.nav.import", "Impor daftar", "Import a list"},
    {"web.update", "Ubah data kontak/ahli waris", "Change contact details/heirs"},
    {"web.update_title", "Perubahan data peserta", "Change a participant's details"},
    {"web.update_not_here",
     "Peserta ini tidak didaftarkan oleh kantor ini; hanya kantor pendaftar yang mengubah datanya.",
     "This office did not enroll this participant; only the enrolling office changes its details."},
    {"web.update_nothing", "Tidak ada yang berubah.", "Nothing changed."},
    {"web.update_preview", "Periksa perubahan ini; data lama tetap tercatat, perubahan dicatat sebagai catatan baru:",
     "Check these changes; the old details stay recorded, the change is recorded as a new entry:"},
    {"web.update_now", "Sekarang", "Now"},
    {"web.update_after", "Sesudah", "After"},
    {"web.update_record", "Catat perubahan", "Record the change"},
    {"web.update_preview_button", "Pratinjau perubahan", "Preview the change"},
    {"web.import.intro",
     "Unggah daftar mitra (CSV). Lontar memeriksa setiap baris dan menampilkan pratinjau dulu; belum ada yang "
     "dicatat sampai Anda mengonfirmasi.",
     "Upload a partner's list (CSV). Lontar checks every row and shows a preview first; nothing is recorded until "
     "you confirm."},
    {"web.import.kind", "Jenis daftar", "Kind of list"},
    {"web.import.kind_enroll", "Pendaftaran peserta", "Enrollments"},
    {"web.import.kind_contribute", "Iuran", "Contributions"},
    {"web.import.file", "File CSV", "CSV file"},
    {"web.import.file_help",
     "Pemisah koma, titik koma atau tab; UTF-8 atau Windows-1252 (seperti disimpan Excel). Judul kolom dalam "
     "bahasa Indonesia dikenali.",
     "Separated by commas, semicolons or tabs; UTF-8 or Windows-1252 (as Excel saves it). Indonesian column "
     "headers are recognised."},
    {"web.import.sponsor", "Wadah (untuk baris tanpa wadah)", "Sponsor (for rows without one)"},
    {"web.import.occupation", "Pekerjaan (untuk baris tanpa pekerjaan)", "Occupation (for rows without one)"},
    {"web.import.coverage_start", "Mulai kepesertaan (untuk baris tanpa TMT)", "Coverage start (for rows without one)"},
    {"web.import.first_month", "Bulan awal iuran (untuk baris tanpa), TTTT-BB",
     "First month (for rows without one), YYYY-MM"},
    {"web.import.preview_button", "Periksa dan tampilkan pratinjau", "Check and preview"},
    {"web.import.preview_title", "Pratinjau impor", "Import preview"},
    {"web.import.busy", "Impor lain sedang berjalan; tunggu sampai selesai.",
     "Another import is running; wait until it ends."},
    {"web.import.running_link", "Impor sedang berjalan: lihat kemajuannya", "An import is running: see its progress"},
    {"web.import.no_file", "Pilih file CSV dulu.", "Choose a CSV file first."},
    {"web.import.gone", "Impor ini tidak ada lagi; unggah file lagi.", "This import is gone; upload the file again."},
    {"web.import.checking", "Memeriksa setiap baris (belum ada yang dicatat)…",
     "Checking every row (nothing recorded yet)…"},
    {"web.import.recording", "Mencatat…", "Recording…"},
    {"web.import.progress", "{} baris dibaca ({}%)", "{} rows read ({}%)"},
    {"web.import.reload", "Muat ulang halaman ini", "Reload this page"},
    {"web.import.failed", "Tidak ada yang dicatat: {}", "Nothing was recorded: {}"},
    {"web.import.done", "Impor selesai: {} dari {} baris dicatat.", "Import done: {} of {} rows recorded."},
    {"web.import.rows", "baris data", "data rows"},
    {"web.import.would_record", "akan dicatat", "would be recorded"},
    {"web.import.recorded", "dicatat", "recorded"},
    {"web.import.already_enrolled", "sudah terdaftar", "already enrolled"},
    {"web.import.already_recorded", "sudah tercatat", "already recorded"},
    {"web.import.rejected", "ditolak ({} konflik)", "rejected ({} conflicts)"},
    {"web.import.windows1252", "File bukan UTF-8; dibaca sebagai Windows-1252.",
     "The file is not UTF-8; it was read as Windows-1252."},
    {"web.import.separator", "Pemisah kolom: {}", "Column separator: {}"},
    {"web.import.column_n", "kolom {} tanpa judul", "column {} without a header"},
    {"web.import.not_recorded", "Kolom {} tidak punya tempat di data peserta: tidak dicatat.",
     "Column {} has no field in the entry: not recorded."},
    {"web.import.unknown_column", "Kolom {} tidak dikenal: tidak dicatat.", "Column {} is unknown: not recorded."},
    {"web.import.unknown_column_hint", "Kolom {} tidak dikenal (maksud Anda {}?): tidak dicatat.",
     "Column {} is unknown (did you mean {}?): not recorded."},
    {"web.import.first_rows", "Kolom dan {} baris pertama", "Columns and the first {} rows"},
    {"web.import.rejects_title", "Baris yang ditolak ({} pertama dari {})", "Rejected rows (first {} of {})"},
    {"web.import.rejects_download", "Unduh file baris yang ditolak (CSV)", "Download the rejected rows (CSV)"},
    {"web.import.confirm_text",
     "{} baris akan dicatat dalam satu commit bersegel. Baris yang ditolak tidak dicatat; perbaiki lalu impor lagi.",
     "{} rows will be recorded in one sealed commit. Rejected rows are not; correct them and import them again."},
    {"web.import.confirm_flagged", "Catat juga baris bertanda (flagged)", "Record flagged rows too"},
    {"web.import.confirm", "Catat {} baris", "Record {} rows"},
    {"web.import.another", "Impor daftar lain", "Import another list"},
    {"web.title.enroll", "Pendaftaran peserta", "Enroll a participant"},
    {"web.title.contribute", "Pembayaran iuran", "Record a contribution"},
    {"web.title.claim", "Pengajuan klaim", "File a claim"},
    {"web.title.pay", "Pembayaran manfaat", "Record a payout"},
    {"web.sign_in", "Masuk", "Sign in"},
    {"web.logout", "Keluar", "Sign out"},
    {"web.clerk_id", "ID petugas", "Clerk id"},
    {"web.passphrase", "Kata sandi", "Passphrase"},
    {"web.login_failed", "ID petugas atau kata sandi salah, atau akun nonaktif",
     "Wrong clerk id or passphrase, or the account is disabled"},
    {"web.refused_host", "Ditolak: alamat (Host) ini bukan milik agen kantor",
     "Refused: this Host is not the office agent's own"},
    {"web.refused_origin", "Ditolak: permintaan tidak berasal dari halaman kantor ini",
     "Refused: the request does not come from this office's page"},
    {"web.refused_session", "Ditolak: silakan masuk dulu", "Refused: sign in first"},
    {"web.refused_csrf", "Ditolak: token formulir tidak cocok; muat ulang halaman",
     "Refused: the form's token does not match; reload the page"},
    {"web.not_found", "Halaman tidak ditemukan", "Page not found"},
    {"web.today", "Hari ini", "Today"},
    {"web.nothing_today", "belum ada catatan hari ini", "nothing recorded today"},
    {"web.waiting", "menunggu sinkronisasi", "waiting to sync"},
    {"web.rejected_waiting", "ditolak pusat, perlu tindakan", "rejected by the centre, to act on"},
    {"web.flagged_waiting", "ditandai pusat untuk audit", "flagged by the centre for audit"},
    {"web.to_sync_page", "Ke halaman sinkronisasi", "To the sync page"},
    {"web.search_label", "NIK atau nama", "NIK or name"},
    {"web.search_button", "Cari", "Search"},
    {"web.search_help", "Cari dulu sebelum mendaftarkan orang baru: NIK lengkap juga diperiksa di data kantor lain.",
     "Search before enrolling someone new: a full NIK is also checked against other offices."},
    {"web.found_here", "Terdaftar di kantor ini", "Enrolled at this office"},
    {"web.none_found", "Tidak ditemukan.", "Nothing found."},
    {"web.enrolled_elsewhere", "Sudah terdaftar oleh {}, awal kepesertaan {}",
     "Already enrolled by {}, coverage from {}"},
    {"web.enroll_new", "Daftarkan peserta baru", "Enroll a new participant"},
    {"web.name", "Nama", "Name"},
    {"web.recorded_at", "Dicatat", "Recorded"},
    {"web.seq", "No. urut", "Seq"},
    {"web.clerk", "Petugas", "Clerk"},
    {"web.ref", "Referensi", "Reference"},
    {"web.local_verdict", "Pemeriksaan kantor", "Office check"},
    {"web.central_verdict", "Putusan pusat", "Central verdict"},
    {"web.leaf", "daun", "leaf"},
    {"web.person", "Data peserta", "Person"},
    {"web.receipt", "Tanda terima", "Receipt"},
    {"web.receipt_title", "Tanda terima", "Receipt"},
    {"web.recorded", "Tercatat: {} #{}", "Recorded: {} #{}"},
    {"web.void", "Batalkan", "Void"},
    {"web.void_title", "Koreksi: pembatalan catatan", "Correction: void an entry"},
    {"web.void_preview", "Catatan ini akan dibatalkan dengan catatan pembatalan baru (tidak ada yang dihapus):",
     "This entry will be cancelled by a new void entry (nothing is erased):"},
    {"web.void_reason", "Alasan pembatalan", "Reason"},
    {"web.save", "Simpan", "Save"},
    {"web.cancel", "Batal", "Cancel"},
    {"web.required", "wajib diisi", "required"},
    {"web.fix_fields", "Periksa isian yang ditandai.", "Check the marked fields."},
    {"web.flagged_title", "Perlu konfirmasi: catatan ini akan ditandai untuk audit",
     "Confirm: this entry will be flagged for audit"},
    {"web.confirm_record", "Ya, catat dengan tanda audit", "Yes, record it flagged for audit"},
    {"web.prev", "« Sebelumnya", "« Previous"},
    {"web.next", "Berikutnya »", "Next »"},
    {"web.never_synced", "belum pernah", "never"},
    {"web.last_sync", "Sinkronisasi terakhir", "Last sync"},
    {"web.sync_now", "Sinkronkan sekarang", "Sync now"},
    {"web.syncing", "Sedang menyinkronkan…", "Syncing…"},
    {"web.queue", "Ditolak atau ditandai oleh pusat", "Rejected or flagged by the centre"},
    {"web.queue_empty", "Tidak ada yang perlu ditindaklanjuti.", "Nothing to act on."},
    {"web.what_to_do", "Tindakan", "What to do"},
    {"web.nik_invalid", "NIK tidak sah: {}", "Invalid NIK: {}"},
    {"web.nik_summary", "Menurut NIK: lahir {}, {}, kabupaten/kota {}", "The NIK says: born {}, {}, regency {}"},
    {"web.nik_birth_mismatch", "Tanggal lahir tidak sesuai dengan NIK.", "The birth date disagrees with the NIK."},
    {"web.nik_sex_mismatch", "Jenis kelamin tidak sesuai dengan NIK.", "The sex disagrees with the NIK."},
    {"web.nik_regency_mismatch", "Kabupaten/kota tidak sesuai dengan NIK.", "The regency disagrees with the NIK."},
    {"web.opt.male", "laki-laki", "male"},
    {"web.opt.female", "perempuan", "female"},
    {"web.opt.spouse", "suami/istri", "spouse"},
    {"web.opt.child", "anak", "child"},
    {"web.opt.parent", "orang tua", "parent"},
    {"web.opt.sibling", "saudara kandung", "sibling"},
    {"web.opt.other", "lainnya", "other"},
    {"web.opt.bank", "transfer bank", "bank transfer"},
    {"web.opt.cash", "tunai", "cash"},
    {"web.f.nik", "NIK", "NIK"},
    {"web.f.name", "Nama lengkap", "Full name"},
    {"web.f.birth_date", "Tanggal lahir", "Birth date"},
    {"web.f.sex", "Jenis kelamin", "Sex"},
    {"web.f.regency", "Kode kabupaten/kota", "Regency code"},
    {"web.f.occupation", "Kelompok pekerjaan", "Occupation group"},
    {"web.f.sponsor", "Kolektif/sponsor", "Collective/sponsor"},
    {"web.f.sponsor_help", "mis. DINSOS-JATIM; kosong = mandiri", "e.g. DINSOS-JATIM; empty = self"},
    {"web.f.income", "Penghasilan per bulan (Rp)", "Monthly income (Rp)"},
    {"web.f.programmes", "Program", "Programmes"},
    {"web.f.coverage_start", "Awal kepesertaan", "Coverage start"},
    {"web.f.phone", "Telepon", "Phone"},
    {"web.f.address", "Alamat", "Address"},
    {"web.f.heirs", "Ahli waris", "Heirs"},
    {"web.f.heirs_help", "satu per baris: NAMA:HUBUNGAN[:NIK], mis. Siti Aminah:spouse",
     "one per line: NAME:RELATION[:NIK], e.g. Siti Aminah:spouse"},
    {"web.f.first_month", "Bulan pertama", "First month"},
    {"web.f.months", "Jumlah bulan", "Months"},
    {"web.f.jkk", "Iuran JKK (Rp)", "JKK amount (Rp)"},
    {"web.f.jkm", "Iuran JKM (Rp)", "JKM amount (Rp)"},
    {"web.f.jht", "Iuran JHT (Rp)", "JHT amount (Rp)"},
    {"web.f.payer", "Pembayar", "Payer"},
    {"web.f.receipt_no", "Nomor kuitansi", "Receipt number"},
    {"web.f.claim_no", "Nomor klaim", "Claim number"},
    {"web.f.programme", "Program", "Programme"},
    {"web.f.event_date", "Tanggal kejadian", "Event date"},
    {"web.f.claimant_name", "Nama pengaju (ahli waris)", "Claimant (heir)"},
    {"web.f.claimant_relation", "Hubungan", "Relation"},
    {"web.f.claimant_nik", "NIK pengaju", "Claimant's NIK"},
    {"web.f.amount", "Jumlah (Rp)", "Amount (Rp)"},
    {"web.f.beneficiary", "Penerima", "Beneficiary"},
    {"web.f.method", "Cara bayar", "Method"},
    {"web.f.reference", "Referensi bank/tunai", "Bank or cash reference"},
    // ---- the auditor's HTML report ----
    {"report.title", "Laporan Audit Lontar", "Lontar Audit Report"},
    {"report.ledger", "Buku besar yang diaudit", "The ledger audited"},
    {"report.origin", "Asal log", "Log origin"},
    {"report.checkpoint", "Checkpoint", "Checkpoint"},
    {"report.size", "Ukuran (daun)", "Size (leaves)"},
    {"report.root", "Akar Merkle", "Merkle root"},
    {"report.result", "Hasil", "Result"},
    {"report.pass", "LULUS", "PASS"},
    {"report.fail", "GAGAL", "FAIL"},
    {"report.not_audited", "belum ada yang diaudit", "nothing audited yet"},
    {"report.findings", "Temuan", "Findings"},
    {"report.no_findings", "tidak ada temuan", "no findings"},
    {"report.generated", "Dibuat {}", "Generated {}"},
    {"report.checkpoints_accepted", "Checkpoint diterima", "Checkpoints accepted"},
    {"report.totals", "Jumlah (catatan yang dibatalkan tidak dihitung)", "Totals (voided entries left out)"},
    {"report.per_month", "Pendaftaran dan pembayaran manfaat per bulan", "Enrollments and payouts per month"},
    {"report.per_office", "Per kantor", "Per office"},
    {"report.per_programme", "Per program", "Per programme"},
    {"report.per_occupation", "Per kelompok pekerjaan", "Per occupation group"},
    {"report.against_schedule", "Pembayaran manfaat terhadap jadwal", "Payouts against the schedule"},
    {"report.schedule_max", "manfaat menurut jadwal", "benefit by the schedule"},
    {"report.enrollments", "Pendaftaran", "Enrollments"},
    {"report.payouts", "Pembayaran manfaat", "Payouts"},
    {"report.payouts_rp", "Pembayaran manfaat (Rp)", "Payouts (Rp)"},
    {"report.exceptions", "Catatan yang ditandai dan ditolak", "Flagged and rejected entries"},
    {"report.none", "(tidak ada)", "(none)"},
    {"report.col.kind", "Jenis", "Kind"},
    {"report.col.count", "Jumlah", "Count"},
    {"report.col.rupiah", "Rupiah", "Rupiah"},
    {"report.col.leaf", "Daun", "Leaf"},
    {"report.col.office", "Kantor", "Office"},
    {"report.col.seq", "No. urut", "Seq"},
    {"report.col.verdict", "Putusan", "Verdict"},
    {"report.col.reasons", "Alasan", "Reasons"},
    {"report.col.month", "Bulan", "Month"},
    {"report.col.programme", "Program", "Programme"},
    {"report.col.occupation", "Kelompok pekerjaan", "Occupation group"},
    {"report.col.check", "Pemeriksaan", "Check"},
    {"report.col.message", "Keterangan", "Message"},
    {"report.col.claim", "Klaim", "Claim"},
    {"report.col.amount", "Jumlah dibayar", "Amount paid"},
};

std::unordered_map<std::string_view, const Message*> build_index() {
  std::unordered_map<std::string_view, const Message*> m;
  for (const auto& msg : catalog) m.emplace(msg.key, &msg);
  return m;
}

const Message* find(std::string_view key) {
  static const auto index = build_index();
  auto it = index.find(key);
  return it == index.end() ? nullptr : it->second;
}

constexpr std::array<std::string_view, 12> months_id = {"Januari",   "Februari", "Maret",    "April",
                                                        "Mei",       "Juni",     "Juli",     "Agustus",
                                                        "September", "Oktober",  "November", "Desember"};
constexpr std::array<std::string_view, 12> months_en = {"January",   "February", "March",    "April",
                                                        "May",       "June",     "July",     "August",
                                                        "September", "October",  "November", "December"};

}  // namespace

std::string_view lang_code(Lang l) { return l == Lang::id ? "id" : "en"; }

std::optional<Lang> parse_lang(std::string_view t) {
  if (t.size() >= 2) {
    auto two = t.substr(0, 2);
    if ((two == "id" || two == "in") && (t.size() == 2 || t[2] == '_' || t[2] == '-' || t[2] == '.')) return Lang::id;
    if (two == "en" && (t.size() == 2 || t[2] == '_' || t[2] == '-' || t[2] == '.')) return Lang::en;
  }
  return std::nullopt;
}

std::optional<Lang> lang_of_locale(std::string_view locale) { return parse_lang(locale); }

Lang lang_from_env() {
  for (const char* var : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* v = std::getenv(var);
    if (v && *v) return lang_of_locale(v).value_or(Lang::en);
  }
  return Lang::en;
}

std::string_view text(Lang lang, std::string_view key) {
  const Message* m = find(key);
  if (!m) return key;
  return lang == Lang::id ? m->id : m->en;
}

bool has(std::string_view key) { return find(key) != nullptr; }
std::size_t size() { return std::size(catalog); }
std::string_view key_at(std::size_t i) { return catalog[i].key; }

std::string reason_text(Lang lang, std::string_view code, std::string_view original) {
  const std::string key = "reason." + std::string(code);
  if (lang == Lang::en && !original.empty()) return std::string(original);
  if (has(key)) return std::string(text(lang, key));
  return std::string(original.empty() ? code : original);
}

std::string_view reason_hint(Lang lang, std::string_view code) {
  const std::string key = "hint." + std::string(code);
  return has(key) ? text(lang, key) : std::string_view{};
}

std::string rupiah(std::int64_t amount) {
  // Work in unsigned so that INT64_MIN has a magnitude.
  const std::uint64_t magnitude =
      amount < 0 ? std::uint64_t(0) - static_cast<std::uint64_t>(amount) : static_cast<std::uint64_t>(amount);
  const std::string digits = std::to_string(magnitude);
  std::string out = amount < 0 ? "-Rp " : "Rp ";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += '.';
    out += digits[i];
  }
  return out;
}

std::string_view month_name(Lang lang, int month) {
  if (month < 1 || month > 12) return "?";
  return lang == Lang::id ? months_id[month - 1] : months_en[month - 1];
}

std::string date(Lang lang, int year, int month, int day) {
  return fmt::format("{} {} {}", day, month_name(lang, month), year);
}

std::string month_label(Lang lang, std::string_view ym) {
  if (ym.size() != 7 || ym[4] != '-') return std::string(ym);
  const int month = (ym[5] - '0') * 10 + (ym[6] - '0');
  if (month < 1 || month > 12) return std::string(ym);
  return fmt::format("{} {}", month_name(lang, month), ym.substr(0, 4));
}

std::string timestamp(Lang lang, std::int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  if (unix_ms < 0 || gmtime_r(&t, &tm) == nullptr) return "?";
  return fmt::format("{} {:02}:{:02} UTC", date(lang, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday), tm.tm_hour,
                     tm.tm_min);
}

}  // namespace lontar::i18n
