<?php
/**
 * Plugin Name:       modq for Akismet
 * Description:       Sends the Akismet plugin's requests for rest.akismet.com to your own modq service (MODQ_AKISMET_URL in wp-config.php) instead; every other request is left alone.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 *
 * @package modq
 */

defined( 'ABSPATH' ) || exit;

add_filter( 'pre_http_request', 'modq_akismet_request', 10, 3 );

/**
 * A request for Akismet's API, made to modq instead: the same method, headers (but Host),
 * body and path. Without MODQ_AKISMET_URL it fails rather than reach Akismet's servers.
 *
 * @param false|array|WP_Error $pre  An earlier filter's answer, or false.
 * @param array                $args The request's arguments.
 * @param string               $url  The request's URL.
 * @return false|array|WP_Error
 */
function modq_akismet_request( $pre, $args, $url ) {
	$headers = $args['headers'] ?? array();
	if ( ! is_array( $headers ) ) {
		$headers = WP_Http::processHeaders( $headers )['headers'];
	}
	if ( false !== $pre || ! modq_akismet_bound( (string) $url, $headers ) ) {
		return $pre;
	}
	if ( ! defined( 'MODQ_AKISMET_URL' ) || '' === MODQ_AKISMET_URL ) {
		return new WP_Error( 'modq_akismet_not_configured', 'MODQ_AKISMET_URL is not defined in wp-config.php' );
	}
	$parts  = wp_parse_url( $url );
	$target = untrailingslashit( MODQ_AKISMET_URL ) . ( $parts['path'] ?? '/' );
	if ( isset( $parts['query'] ) ) {
		$target .= '?' . $parts['query'];
	}
	$args['headers'] = array_filter(
		$headers,
		function ( $name ) {
			return 'host' !== strtolower( (string) $name );
		},
		ARRAY_FILTER_USE_KEY
	);
	return wp_remote_request( $target, $args );
}

/**
 * Whether a request is for Akismet's API: rest.akismet.com (or a key's subdomain of it) by
 * name, or by one of its addresses with `Host: rest.akismet.com`, as Akismet::http_post
 * sends its connectivity checks.
 */
function modq_akismet_bound( string $url, array $headers ): bool {
	$host = strtolower( (string) wp_parse_url( $url, PHP_URL_HOST ) );
	if ( 'rest.akismet.com' === $host || '.rest.akismet.com' === substr( $host, -17 ) ) {
		return true;
	}
	foreach ( $headers as $name => $value ) {
		if ( 'host' === strtolower( (string) $name ) && 'rest.akismet.com' === strtolower( trim( (string) $value ) ) ) {
			return true;
		}
	}
	return false;
}
