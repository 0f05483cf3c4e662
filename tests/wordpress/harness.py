"""Real WordPress and MariaDB from Debian, and a real `modq serve`, on loopback ports.

MariaDB runs from a data directory of the test's own (no grant tables: WordPress connects
as root over a unix socket), WordPress is Debian's copy under `php -S` with a
`wp-config.php` of the test's own, installed through its own install form. modq runs as
`modq serve` with an embedded Redis in the test's directory.

WordPress is moderated either by the modq plugin (integrations/wordpress) or, with
`Stack(tmp, akismet=True)`, by Debian's own Akismet plugin whose requests the must-use
plugin integrations/akismet/modq-akismet.php sends to modq.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "integrations" / "wordpress" / "modq"
AKISMET_MU_PLUGIN = REPO / "integrations" / "akismet" / "modq-akismet.php"
WORDPRESS = Path("/usr/share/wordpress")
#: What the suite needs from Debian, and a file each package installs.
PACKAGES = {
    "wordpress": WORDPRESS / "wp-load.php",
    "php-cli": Path("/usr/bin/php"),
    "php-mysql": Path("/usr/share/php8.2-mysql"),
    "php-curl": Path("/usr/share/php8.2-curl"),
    "mariadb-server": Path("/usr/sbin/mariadbd"),
}
SITE = "news.example"
ADMIN_PASSWORD = "correct horse battery staple"

# Comment flood checks (15 s between two comments from one IP) are off in the test only,
# and e-mails are written to a file instead of sent (one JSON line each).
_MU_PLUGIN = """<?php
add_action( 'init', function () {
	remove_action( 'check_comment_flood', 'check_comment_flood_db', 10 );
} );
add_filter( 'pre_wp_mail', function ( $sent, $mail ) {
	$line = array( 'to' => $mail['to'], 'subject' => $mail['subject'] );
	file_put_contents( MAIL_LOG, wp_json_encode( $line ) . "\\n", FILE_APPEND );
	return true;
}, 10, 2 );
"""


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def spawn(name: str, args: list[str], tmp: Path, env: dict[str, str] | None = None) -> Process:
    log = tmp / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    return Process(name, process, log)


def wait_for(what: str, check: Any, timeout_s: float, process: Process | None = None) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        if process is not None and process.process.poll() is not None:
            raise AssertionError(f"{process.name} exited: {process.output()}")
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def http(
    method: str, url: str, data: dict[str, str] | None = None, timeout_s: float = 30
) -> tuple[int, str]:
    """One request, redirects not followed: (status, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=timeout_s) as answer:
            return answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def modq_cli(env: dict[str, str], *args: str) -> str:
    """Run a `modq` command with `env` (its Redis) and return what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "service", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


@dataclass
class Stack:
    """MariaDB, WordPress with the plugin, and modq, all the test's own. With `akismet`,
    WordPress has the Akismet plugin and modq-akismet.php instead of the modq plugin."""

    tmp: Path
    akismet: bool = False
    processes: list[Process] = field(default_factory=list)
    wp_url: str = ""
    modq_url: str = ""
    site_key: str = ""
    moderator_token: str = ""
    #: With `akismet`: the site's key in Akismet's 12-character form (`wordpress_api_key`).
    akismet_key: str = ""
    modq_env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self._mariadb()
        self._modq()
        self._wordpress()

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    # MariaDB ------------------------------------------------------------------------------

    def _mariadb(self) -> None:
        data, self.socket = self.tmp / "db", self.tmp / "mysql.sock"
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={data}",
                "--user=root",
                "--skip-test-db",
                "--auth-root-authentication-method=normal",
            ],
            check=True,
            capture_output=True,
        )
        mariadb = spawn(
            "mariadb",
            [
                "mariadbd",
                "--no-defaults",
                f"--datadir={data}",
                f"--socket={self.socket}",
                f"--pid-file={self.tmp / 'mariadb.pid'}",
                "--skip-networking",
                "--skip-grant-tables",
                "--user=root",
            ],
            self.tmp,
        )
        self.processes.append(mariadb)
        wait_for("MariaDB's socket", self.socket.exists, 60, mariadb)
        create = ["mariadb", "--no-defaults", f"--socket={self.socket}", "-e"]
        wait_for(
            "MariaDB to take a database",
            lambda: (
                subprocess.run([*create, "CREATE DATABASE IF NOT EXISTS wordpress"]).returncode == 0
            ),
            30,
            mariadb,
        )

    # modq ---------------------------------------------------------------------------------

    def _modq(self) -> None:
        port = free_port()
        self.modq_url = f"http://127.0.0.1:{port}"
        self.modq_env = {
            "MODQ_DATA_DIR": str(self.tmp / "modq"),
            "MODQ_PORT": str(port),
            "MODQ_API_WORKERS": "1",
            "MODQ_WEBHOOK_ALLOW_PRIVATE": "yes",
            "MODQ_RATE_LIMIT_PER_IP": "off",
            "MODQ_RATE_LIMIT_PER_SITE": "off",
            "MODQ_BLOCK_MS": "100",
        }
        self.modq_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MODQ_")},
            **self.modq_env,
        }
        self.modq_env.pop("REDIS_URL", None)
        self.start_modq()
        self.site_key = self.modq_cli("keys", "create", "--site", SITE)
        self.moderator_token = self.modq_cli("keys", "create", "--site", SITE, "--moderator", "wp")
        if self.akismet:
            self.akismet_key = self.modq_cli("keys", "create", "--site", SITE, "--akismet")
        # Every reader here posts from 127.0.0.1: modq's flood rule (a site setting) is off.
        self.modq_cli("sites", "set", "--site", SITE, "--flood-max", "0")

    def start_modq(self) -> Process:
        modq = spawn("modq", [sys.executable, "-m", "service", "serve"], self.tmp, self.modq_env)
        self.processes.append(modq)
        wait_for("modq", lambda: http("GET", self.modq_url + "/readyz")[0] == 200, 90, modq)
        return modq

    def stop_modq(self) -> None:
        for process in [p for p in self.processes if p.name == "modq"]:
            process.stop()
            self.processes.remove(process)

    def modq_cli(self, *args: str) -> str:
        return modq_cli(self.modq_env, *args)

    # WordPress ----------------------------------------------------------------------------

    def _wordpress(self) -> None:
        self.root = self.tmp / "wp"
        shutil.copytree(WORDPRESS, self.root, symlinks=False, ignore=_htaccess)
        content = self.root / "wp-content"
        (content / "plugins" / "modq").symlink_to(PLUGIN, target_is_directory=True)
        (content / "mu-plugins").mkdir(exist_ok=True)
        self.mail_log = self.tmp / "mail.jsonl"
        mu_plugin = _MU_PLUGIN.replace("MAIL_LOG", json.dumps(str(self.mail_log)))
        (content / "mu-plugins" / "modq-test.php").write_text(mu_plugin)
        extra = ""
        if self.akismet:  # installed as integrations/akismet/README.md says
            shutil.copy(AKISMET_MU_PLUGIN, content / "mu-plugins" / AKISMET_MU_PLUGIN.name)
            extra = f"define('MODQ_AKISMET_URL', {json.dumps(self.modq_url)});\n"
        port = free_port()
        self.wp_url = f"http://127.0.0.1:{port}"
        config = _config(self.socket, self.wp_url, self.root, extra)
        (self.root / "wp-config.php").write_text(config)
        server = spawn(
            "wordpress",
            ["php", "-S", f"127.0.0.1:{port}", "-t", str(self.root)],
            self.tmp,
            {"PHP_CLI_SERVER_WORKERS": "4"},
        )
        self.processes.append(server)
        wait_for("php -S", lambda: http("GET", self.wp_url + "/wp-login.php")[0] > 0, 30, server)
        status, page = http(
            "POST",
            self.wp_url + "/wp-admin/install.php?step=2",
            {
                "weblog_title": "News",
                "user_name": "admin",
                "admin_password": ADMIN_PASSWORD,
                "admin_password2": ADMIN_PASSWORD,
                "pw_weak": "1",
                "admin_email": "admin@news.example",
                "blog_public": "0",
                "language": "",
            },
            timeout_s=120,
        )
        assert status == 200 and "Success" in page, page[-2000:]
        if self.akismet:
            self._akismet()
            return
        # The scripted set-up a WP-CLI user would do: activate, then three options.
        self.php(
            "require_once ABSPATH . 'wp-admin/includes/plugin.php';"
            "activate_plugin('modq/modq.php');"
            f"update_option('modq_url', {json.dumps(self.modq_url)});"
            f"update_option('modq_site_key', {json.dumps(self.site_key)});"
            f"update_option('modq_moderator_token', {json.dumps(self.moderator_token)});"
        )

    def _akismet(self) -> None:
        """Activate Akismet with the modq key; and since Akismet's verdict is the one that
        counts here, WordPress's own "the author must have a previously approved comment"
        (on by default: it holds every first comment) is off."""
        self.php(
            "require_once ABSPATH . 'wp-admin/includes/plugin.php';"
            "activate_plugin('akismet/akismet.php');"
            f"update_option('wordpress_api_key', {json.dumps(self.akismet_key)});"
            "update_option('comment_previously_approved', 0);"
        )

    def php(self, code: str) -> str:
        """Run PHP inside WordPress (wp-load.php) and return what it prints."""
        host = self.wp_url.removeprefix("http://")
        script = (
            f"$_SERVER['HTTP_HOST'] = {json.dumps(host)}; "
            f"require {json.dumps(str(self.root / 'wp-load.php'))}; {code}"
        )
        done = subprocess.run(
            ["php", "-r", script], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def comment(self, comment_id: int) -> dict[str, Any]:
        """A comment as WordPress has it, with modq's meta."""
        out = self.php(
            f"$c = get_comment({comment_id});"
            "echo wp_json_encode(array('approved' => $c->comment_approved,"
            f" 'modq_id' => get_comment_meta({comment_id}, 'modq_id', true),"
            f" 'modq_status' => get_comment_meta({comment_id}, 'modq_status', true),"
            f" 'unsent' => get_comment_meta({comment_id}, 'modq_unsent', true)));"
        )
        return dict(json.loads(out))

    def mails(self) -> list[dict[str, Any]]:
        """The e-mails WordPress sent, oldest first."""
        if not self.mail_log.exists():
            return []
        return [json.loads(line) for line in self.mail_log.read_text().splitlines()]

    def count(self) -> int:
        """Comments WordPress holds, in any status."""
        return int(
            self.php(
                'global $wpdb; echo (int) $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->comments");'
            )
        )

    def post_comment(self, author: str, email: str, body: str) -> int:
        """Post through the real comment form; return the new comment's WordPress id."""
        before = self.count()
        status, page = http(
            "POST",
            self.wp_url + "/wp-comments-post.php",
            {
                "comment_post_ID": "1",
                "author": author,
                "email": email,
                "url": "",
                "comment": body,
                "comment_parent": "0",
                "submit": "Post Comment",
            },
        )
        assert status in (200, 302), (status, page[-1500:])
        found = self.php(f"global $wpdb; echo (int) $wpdb->get_var({_NEWEST!r});")
        assert self.count() == before + 1, page[-1500:]
        return int(found)


_NEWEST = "SELECT MAX(comment_ID) FROM wp_comments"


def _htaccess(directory: str, names: list[str]) -> list[str]:
    return [".htaccess"] if directory == str(WORDPRESS) else []


def _config(socket: Path, url: str, root: Path, extra: str = "") -> str:
    salts = "".join(
        f"define('{name}', '{os.urandom(16).hex()}');\n"
        for name in (
            "AUTH_KEY",
            "SECURE_AUTH_KEY",
            "LOGGED_IN_KEY",
            "NONCE_KEY",
            "AUTH_SALT",
            "SECURE_AUTH_SALT",
            "LOGGED_IN_SALT",
            "NONCE_SALT",
        )
    )
    return f"""<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:{socket}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
{salts}$table_prefix = 'wp_';
define('WP_HOME', '{url}');
define('WP_SITEURL', '{url}');
define('WP_CONTENT_DIR', '{root}/wp-content');
define('WP_PLUGIN_DIR', '{root}/wp-content/plugins');
define('DISABLE_WP_CRON', true);
define('WP_DEBUG', false);
define('FS_METHOD', 'direct');
define('WP_HTTP_BLOCK_EXTERNAL', false);
{extra}if ( ! defined('ABSPATH') ) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
"""
