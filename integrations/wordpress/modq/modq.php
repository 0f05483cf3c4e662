<?php
/**
 * Plugin Name:       modq
 * Description:       Moderates comments with your own modq service: each comment is checked when it is posted, held ones wait for a moderator, and every decision here teaches your site's model.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.2
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       modq
 *
 * @package modq
 */

defined( 'ABSPATH' ) || exit;

const MODQ_WAIT_SECONDS = 3;      // How long a reader's request waits for modq's verdict.
const MODQ_TIMEOUT      = 5;      // Added to the wait: modq answers at once otherwise.
const MODQ_RESEND_AFTER = 300;    // Seconds before wp-cron sends comments modq missed again.
const MODQ_REPLAY_TTL   = 600;    // Seconds a delivered event id is remembered (replays refused).
const MODQ_CLOCK_SKEW   = 300;    // Seconds an event's timestamp may differ from now.

/** The plugin's settings, as stored (update_option is all a scripted set-up needs). */
function modq_option( string $name ): string {
	return trim( (string) get_option( $name, '' ) );
}

/**
 * One call to modq's API.
 *
 * @return array{status:int,body:mixed}|WP_Error
 */
function modq_api( string $method, string $path, ?array $body, string $token, int $wait = 0 ) {
	$url = modq_option( 'modq_url' );
	if ( '' === $url || '' === $token ) {
		return new WP_Error( 'modq_not_configured', 'modq is not configured' );
	}
	$headers = array(
		'Authorization' => 'Bearer ' . $token,
		'Content-Type'  => 'application/json',
	);
	if ( $wait > 0 ) {
		$headers['Prefer'] = 'wait=' . $wait;
	}
	$response = wp_remote_request(
		untrailingslashit( $url ) . $path,
		array(
			'method'      => $method,
			'headers'     => $headers,
			'body'        => null === $body ? null : wp_json_encode( $body ),
			'timeout'     => $wait + MODQ_TIMEOUT,
			'redirection' => 0,
		)
	);
	if ( is_wp_error( $response ) ) {
		return $response;
	}
	return array(
		'status' => (int) wp_remote_retrieve_response_code( $response ),
		'body'   => json_decode( wp_remote_retrieve_body( $response ), true ),
	);
}

/** What WordPress calls a comment's approval, for modq's status. */
function modq_wp_status( string $status ) {
	switch ( $status ) {
		case 'approved':
			return 1;
		case 'spam':
			return 'spam';
		case 'rejected':
			return 'trash';
		default: // queued (not scored yet), pending_review (a moderator decides).
			return 0;
	}
}

/** The comment as modq takes it. */
function modq_payload( array $data ): array {
	$payload = array(
		'thread'     => (string) get_permalink( (int) ( $data['comment_post_ID'] ?? 0 ) ),
		'author'     => array(
			'name'  => (string) ( $data['comment_author'] ?? '' ),
			'email' => (string) ( $data['comment_author_email'] ?? '' ),
			'url'   => (string) ( $data['comment_author_url'] ?? '' ),
		),
		'body'       => (string) ( $data['comment_content'] ?? '' ),
		'ip'         => (string) ( $data['comment_author_IP'] ?? '' ),
		'user_agent' => substr( (string) ( $data['comment_agent'] ?? '' ), 0, 1024 ),
		'referrer'   => substr( esc_url_raw( wp_unslash( $_SERVER['HTTP_REFERER'] ?? '' ) ), 0, 2048 ), // phpcs:ignore WordPress.Security.ValidatedSanitizedInput
	);
	$parent = (int) ( $data['comment_parent'] ?? 0 );
	$parent = $parent ? (string) get_comment_meta( $parent, 'modq_id', true ) : '';
	if ( '' !== $parent ) {
		$payload['parent_id'] = $parent; // A reply to a comment modq has seen.
	}
	return $payload;
}

/**
 * A reader posted a comment: modq decides whether it is published, held or spam, waiting a
 * few seconds for the verdict. If modq cannot be reached, the comment is held and sent
 * again by wp-cron.
 */
function modq_pre_comment_approved( $approved, array $data ) {
	if ( 'spam' === $approved || 'trash' === $approved || is_wp_error( $approved ) ) {
		return $approved; // WordPress's own rules already decided.
	}
	if ( ! empty( $data['comment_type'] ) && 'comment' !== $data['comment_type'] ) {
		return $approved; // Pingbacks and notes are not readers' comments.
	}
	$found                       = modq_send( $data, MODQ_WAIT_SECONDS );
	$GLOBALS['modq_new_comment'] = $found ?? array( 'unsent' => 1 );
	return null === $found ? 0 : modq_wp_status( (string) ( $found['status'] ?? 'queued' ) );
}

/** Send a comment to modq: what modq said of it, or null if modq did not take it. */
function modq_send( array $data, int $wait = 0 ): ?array {
	$answer = modq_api( 'POST', '/v1/comments', modq_payload( $data ), modq_option( 'modq_site_key' ), $wait );
	if ( is_wp_error( $answer ) || ! in_array( $answer['status'], array( 200, 202 ), true ) ) {
		return null;
	}
	return is_array( $answer['body'] ) ? $answer['body'] : array();
}

/** Held comments carrying a meta key (modq_unsent: not sent yet; modq_id: sent). */
function modq_held_with( string $meta_key, int $number ): array {
	return get_comments(
		array(
			'meta_key' => $meta_key, // phpcs:ignore WordPress.DB.SlowDBQuery
			'status'   => 'hold',
			'number'   => $number,
		)
	);
}
add_filter( 'pre_comment_approved', 'modq_pre_comment_approved', 99, 2 );

/** No "please moderate" e-mail for a comment held only because modq could not be reached:
 * it is sent again by wp-cron, and moderators hear of it if modq holds it then. */
add_filter(
	'notify_moderator',
	function ( $notify ) {
		return empty( $GLOBALS['modq_new_comment']['unsent'] ) ? $notify : false;
	}
);

/** Keep modq's id and verdict with the comment WordPress just stored. */
function modq_comment_post( int $comment_id ): void {
	$found = $GLOBALS['modq_new_comment'] ?? null;
	unset( $GLOBALS['modq_new_comment'] );
	if ( ! is_array( $found ) ) {
		return;
	}
	if ( ! empty( $found['unsent'] ) ) {
		update_comment_meta( $comment_id, 'modq_unsent', 1 );
		modq_schedule_resend();
		return;
	}
	modq_keep( $comment_id, $found );
}
add_action( 'comment_post', 'modq_comment_post', 20 ); // After core's e-mails, which ask notify_moderator.

/** Store what modq said of a comment in its meta. */
function modq_keep( int $comment_id, array $found ): void {
	if ( isset( $found['id'] ) ) {
		update_comment_meta( $comment_id, 'modq_id', sanitize_key( $found['id'] ) );
	}
	foreach ( array( 'status', 'score' ) as $field ) {
		if ( isset( $found[ $field ] ) ) {
			update_comment_meta( $comment_id, 'modq_' . $field, $found[ $field ] );
		}
	}
	if ( isset( $found['reasons'] ) && is_array( $found['reasons'] ) ) {
		update_comment_meta( $comment_id, 'modq_reasons', array_map( 'strval', $found['reasons'] ) );
	}
}

function modq_schedule_resend(): void {
	if ( ! wp_next_scheduled( 'modq_resend' ) ) {
		wp_schedule_single_event( time() + MODQ_RESEND_AFTER, 'modq_resend' );
	}
}

/** wp-cron: send the comments modq could not take when they were posted. */
function modq_resend(): void {
	foreach ( modq_held_with( 'modq_unsent', 50 ) as $comment ) {
		$found = modq_send( get_comment( $comment, ARRAY_A ) );
		if ( null === $found ) {
			modq_schedule_resend();
			return;
		}
		delete_comment_meta( (int) $comment->comment_ID, 'modq_unsent' );
		modq_keep( (int) $comment->comment_ID, $found );
	}
}
add_action( 'modq_resend', 'modq_resend' );

/** wp-cron, every five minutes: ask modq about comments still waiting, so a missed webhook
 * only delays. */
function modq_poll(): void {
	foreach ( modq_held_with( 'modq_id', 100 ) as $comment ) {
		$modq_id = (string) get_comment_meta( (int) $comment->comment_ID, 'modq_id', true );
		$answer  = modq_api( 'GET', '/v1/comments/' . rawurlencode( $modq_id ), null, modq_option( 'modq_site_key' ) );
		if ( is_wp_error( $answer ) ) {
			return; // modq is down: the next run tries again.
		}
		if ( 200 === $answer['status'] && is_array( $answer['body'] ) ) {
			modq_apply( $comment, $answer['body'] );
		}
	}
}
add_action( 'modq_poll', 'modq_poll' );
add_filter(
	'cron_schedules', // phpcs:ignore WordPress.WP.CronInterval
	function ( array $schedules ): array {
		$schedules['modq_five_minutes'] = array(
			'interval' => 300,
			'display'  => 'Every five minutes (modq)',
		);
		return $schedules;
	}
);
register_activation_hook(
	__FILE__,
	function (): void {
		if ( ! wp_next_scheduled( 'modq_poll' ) ) {
			wp_schedule_event( time() + 300, 'modq_five_minutes', 'modq_poll' );
		}
	}
);
register_deactivation_hook(
	__FILE__,
	function (): void {
		wp_clear_scheduled_hook( 'modq_poll' );
		wp_clear_scheduled_hook( 'modq_resend' );
	}
);

/** Give a comment the status modq's verdict or decision gives it, as modq's own change. */
function modq_apply( WP_Comment $comment, array $data ): void {
	modq_keep( (int) $comment->comment_ID, $data );
	$status = array(
		1       => 'approve',
		0       => 'hold',
		'spam'  => 'spam',
		'trash' => 'trash',
	)[ modq_wp_status( (string) ( $data['status'] ?? '' ) ) ];
	if ( wp_get_comment_status( $comment ) === array( 'approve' => 'approved', 'hold' => 'unapproved', 'spam' => 'spam', 'trash' => 'trash' )[ $status ] ) {
		return;
	}
	$GLOBALS['modq_from_webhook'] = true; // Not sent back to modq as a decision.
	wp_set_comment_status( $comment, $status );
	$GLOBALS['modq_from_webhook'] = false;
}

/** Where modq posts this site's events. */
function modq_events_url(): string {
	return rest_url( 'modq/v1/events' );
}

/** Tell modq where this site's receiver is (again whenever the settings change). */
function modq_register_webhook(): void {
	if ( '' === modq_option( 'modq_url' ) || '' === modq_option( 'modq_site_key' ) ) {
		return;
	}
	$answer = modq_api( 'PUT', '/v1/webhook', array( 'url' => modq_events_url() ), modq_option( 'modq_site_key' ) );
	if ( ! is_wp_error( $answer ) && 200 === $answer['status'] && ! empty( $answer['body']['secret'] ) ) {
		update_option( 'modq_webhook_secret', (string) $answer['body']['secret'], false );
		update_option( 'modq_webhook_url', modq_events_url(), false );
	}
}
foreach ( array( 'modq_url', 'modq_site_key' ) as $modq_option_name ) {
	add_action( 'add_option_' . $modq_option_name, 'modq_register_webhook' );
	add_action( 'update_option_' . $modq_option_name, 'modq_register_webhook' );
}
add_action(
	'init',
	function (): void {
		// The site moved, or the first call failed: try again, at most every five minutes
		// (a page load must not wait for an unreachable modq).
		if ( modq_option( 'modq_webhook_url' ) !== modq_events_url() && ! get_transient( 'modq_register_tried' ) ) {
			set_transient( 'modq_register_tried', 1, MODQ_RESEND_AFTER );
			modq_register_webhook();
		}
	}
);

/**
 * Whether a delivery is modq's: the Standard Webhooks signature over id, timestamp and
 * body, a timestamp within MODQ_CLOCK_SKEW of now.
 */
function modq_signed( string $secret, string $id, string $timestamp, string $signatures, string $body ): bool {
	if ( '' === $secret || '' === $id || ! ctype_digit( $timestamp ) || abs( time() - (int) $timestamp ) > MODQ_CLOCK_SKEW ) {
		return false;
	}
	$key      = base64_decode( substr( $secret, strlen( 'whsec_' ) ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions
	$expected = base64_encode( hash_hmac( 'sha256', "$id.$timestamp.$body", $key, true ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions
	foreach ( explode( ' ', $signatures ) as $signature ) {
		$parts = explode( ',', $signature, 2 );
		if ( 2 === count( $parts ) && 'v1' === $parts[0] && hash_equals( $expected, $parts[1] ) ) {
			return true;
		}
	}
	return false;
}

/** The receiver of modq's events: a moderator's decision or a late verdict reaches WordPress. */
function modq_receive( WP_REST_Request $request ) {
	$id   = (string) $request->get_header( 'webhook-id' );
	$body = (string) $request->get_body();
	$ok   = modq_signed(
		modq_option( 'modq_webhook_secret' ),
		$id,
		(string) $request->get_header( 'webhook-timestamp' ),
		(string) $request->get_header( 'webhook-signature' ),
		$body
	);
	if ( ! $ok ) {
		return new WP_REST_Response( array( 'message' => 'bad signature or timestamp' ), 401 );
	}
	$seen = 'modq_event_' . md5( $id );
	if ( get_transient( $seen ) ) {
		// A replay, or modq sending again an event whose answer it lost: not applied twice.
		return new WP_REST_Response( array( 'applied' => false, 'message' => 'already received' ), 200 );
	}
	set_transient( $seen, 1, MODQ_REPLAY_TTL );
	$event = json_decode( $body, true );
	$data  = is_array( $event ) ? ( $event['data'] ?? array() ) : array();
	$found = get_comments(
		array(
			'meta_key'   => 'modq_id', // phpcs:ignore WordPress.DB.SlowDBQuery
			'meta_value' => sanitize_key( (string) ( $data['id'] ?? '' ) ), // phpcs:ignore WordPress.DB.SlowDBQuery
			'number'     => 1,
			'status'     => 'all',
		)
	);
	if ( ! $found || ! in_array( $event['type'] ?? '', array( 'comment.scored', 'comment.decided' ), true ) ) {
		return new WP_REST_Response( array( 'applied' => false ), 200 );
	}
	modq_apply( $found[0], $data );
	return new WP_REST_Response( array( 'applied' => true ), 200 );
}
add_action(
	'rest_api_init',
	function (): void {
		register_rest_route(
			'modq/v1',
			'/events',
			array(
				'methods'             => 'POST',
				'callback'            => 'modq_receive',
				'permission_callback' => '__return_true', // The signature is the permission.
			)
		);
	}
);

/** A moderator decided in WordPress: modq learns it (unless modq itself made the change). */
function modq_transition( string $new_status, string $old_status, WP_Comment $comment ): void {
	if ( ! empty( $GLOBALS['modq_from_webhook'] ) || $new_status === $old_status ) {
		return;
	}
	$modq_id  = (string) get_comment_meta( (int) $comment->comment_ID, 'modq_id', true );
	$decision = array(
		'approved' => 'approve',
		'spam'     => 'spam',
		'trash'    => 'reject',
	)[ $new_status ] ?? null;
	if ( 'unapproved' === $new_status && 'spam' === $old_status ) {
		$decision = 'approve'; // "Not spam": what the moderator teaches is that it is ham.
	}
	if ( '' === $modq_id || null === $decision ) {
		return;
	}
	modq_api( 'POST', '/v1/moderation/comments/' . rawurlencode( $modq_id ) . '/decision', array( 'decision' => $decision ), modq_option( 'modq_moderator_token' ) );
}
add_action( 'transition_comment_status', 'modq_transition', 10, 3 );

/** Tools → Erase Personal Data erases the reader in modq too. */
function modq_erase( string $email, int $page = 1 ): array {
	$answer  = modq_api( 'POST', '/v1/privacy/erase', array( 'email' => $email ), modq_option( 'modq_site_key' ) );
	$erased  = ! is_wp_error( $answer ) && 200 === $answer['status'] && ( $answer['body']['erased'] ?? 0 ) > 0;
	$message = is_wp_error( $answer ) || 200 !== $answer['status'] ? array( __( 'modq could not be reached; erase again later.', 'modq' ) ) : array();
	return array(
		'items_removed'  => $erased,
		'items_retained' => ! empty( $message ),
		'messages'       => $message,
		'done'           => true,
	);
}
add_filter(
	'wp_privacy_personal_data_erasers',
	function ( array $erasers ): array {
		$erasers['modq'] = array(
			'eraser_friendly_name' => 'modq',
			'callback'             => 'modq_erase',
		);
		return $erasers;
	}
);
add_action(
	'admin_init',
	function (): void {
		wp_add_privacy_policy_content(
			'modq',
			'<p>' . __( 'Comments are checked for spam by this site’s own modq service: the name, e-mail address, website, comment text, IP address and browser of each comment are sent to it. modq keeps them to moderate this site only and never publishes the e-mail address.', 'modq' ) . '</p>'
		);
	}
);

/** wp-admin: modq's status, score and reasons beside each comment. */
add_filter(
	'manage_edit-comments_columns',
	function ( array $columns ): array {
		$columns['modq'] = 'modq';
		return $columns;
	}
);
add_action(
	'manage_comments_custom_column',
	function ( string $column, $comment_id ): void {
		if ( 'modq' !== $column ) {
			return;
		}
		$status  = (string) get_comment_meta( (int) $comment_id, 'modq_status', true );
		$score   = get_comment_meta( (int) $comment_id, 'modq_score', true );
		$reasons = (array) get_comment_meta( (int) $comment_id, 'modq_reasons', true );
		if ( get_comment_meta( (int) $comment_id, 'modq_unsent', true ) ) {
			echo esc_html__( 'not checked yet (modq unreachable)', 'modq' );
			return;
		}
		echo esc_html( $status );
		if ( '' !== $score && null !== $score ) {
			echo ' ' . esc_html( number_format_i18n( (float) $score, 3 ) );
		}
		if ( $reasons ) {
			echo '<br><small>' . esc_html( implode( ', ', array_filter( $reasons ) ) ) . '</small>';
		}
	},
	10,
	2
);

/** Settings → modq: where modq is and the keys it gave this site. */
add_action(
	'admin_init',
	function (): void {
		foreach ( array( 'modq_url', 'modq_site_key', 'modq_moderator_token' ) as $name ) {
			register_setting( 'modq', $name, array( 'sanitize_callback' => 'sanitize_text_field' ) );
		}
	}
);
add_action(
	'admin_menu',
	function (): void {
		add_options_page( 'modq', 'modq', 'manage_options', 'modq', 'modq_settings_page' );
	}
);

function modq_settings_page(): void {
	$test = null;
	if ( isset( $_GET['modq-test'] ) && check_admin_referer( 'modq-test' ) ) {
		$answer = modq_api( 'GET', '/v1/moderation/learning', null, modq_option( 'modq_moderator_token' ) );
		$test   = ! is_wp_error( $answer ) && 200 === $answer['status'];
	}
	echo '<div class="wrap"><h1>modq</h1>';
	if ( null !== $test ) {
		$class = $test ? 'notice-success' : 'notice-error';
		$text  = $test ? __( 'modq answered: the URL and the moderator token work.', 'modq' ) : __( 'modq did not answer with these settings.', 'modq' );
		echo '<div class="notice ' . esc_attr( $class ) . '"><p>' . esc_html( $text ) . '</p></div>';
	}
	echo '<form method="post" action="options.php">';
	settings_fields( 'modq' );
	echo '<table class="form-table">';
	$fields = array(
		'modq_url'             => __( 'modq URL', 'modq' ),
		'modq_site_key'        => __( 'Site key', 'modq' ),
		'modq_moderator_token' => __( 'Moderator token', 'modq' ),
	);
	foreach ( $fields as $name => $label ) {
		$type = 'modq_url' === $name ? 'url' : 'password';
		printf(
			'<tr><th><label for="%1$s">%2$s</label></th><td><input class="regular-text" type="%3$s" id="%1$s" name="%1$s" value="%4$s"></td></tr>',
			esc_attr( $name ),
			esc_html( $label ),
			esc_attr( $type ),
			esc_attr( modq_option( $name ) )
		);
	}
	echo '</table>';
	submit_button();
	echo '</form>';
	$url = wp_nonce_url( admin_url( 'options-general.php?page=modq&modq-test=1' ), 'modq-test' );
	echo '<p><a class="button" href="' . esc_url( $url ) . '">' . esc_html__( 'Test connection', 'modq' ) . '</a></p></div>';
}

/** The dashboard's "At a Glance": what modq holds for review and what it caught. */
add_filter(
	'dashboard_glance_items',
	function ( array $items ): array {
		$count = function ( string $status ): int {
			return (int) get_comments(
				array(
					'count'      => true,
					'status'     => 'all' === $status ? 'all' : $status,
					'meta_key'   => 'modq_status', // phpcs:ignore WordPress.DB.SlowDBQuery
					'meta_value' => 'hold' === $status ? 'pending_review' : 'spam', // phpcs:ignore WordPress.DB.SlowDBQuery
				)
			);
		};
		/* translators: 1: comments held for review, 2: comments caught as spam */
		$items[] = esc_html( sprintf( __( 'modq: %1$d held for review, %2$d caught as spam', 'modq' ), $count( 'hold' ), $count( 'spam' ) ) );
		return $items;
	}
);
