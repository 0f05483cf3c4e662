#!/usr/bin/perl
# Debian's Net::Akismet (libnet-akismet-perl), unchanged, driven by test_perl_client.py.
#
# Reads one JSON object on stdin:
#   {"key": "...", "url": "https://news.example/",
#    "calls": [{"call": "check" | "spam" | "ham", "label": "...", "comment": {"USER_IP": ...}}]}
# and prints JSON lines: {"event": "new", "verified": true|false}, then for each call
# {"event": "result", "call": ..., "label": ..., "result": ...} (null for undef), and for
# every HTTP exchange LWP made {"event": "http", ...}: what went over the wire.
#
# Net::Akismet posts verify-key to http://rest.akismet.com/1.1/verify-key and the rest to
# http://KEY.rest.akismet.com/1.1/ACTION; with PERL_LWP_ENV_PROXY=1 and http_proxy set, its
# LWP::UserAgent sends them to modq as a proxy (absolute-form request targets).
use strict;
use warnings;

use JSON::PP;
use LWP::UserAgent;
use Net::Akismet;
use URI;

$| = 1;
my $json = JSON::PP->new->canonical;

# Log each exchange by wrapping LWP::UserAgent::request (Net::Akismet makes its own agent
# inside new(), so a handler on it would miss the key verification).
{
    no warnings 'redefine';
    my $request = \&LWP::UserAgent::request;
    *LWP::UserAgent::request = sub {
        my $response = $request->(@_);
        my $sent = $response->request;
        my $form = URI->new('http:');
        $form->query($sent->content);
        my @pairs = $form->query_form;
        my @sent = map { $pairs[2 * $_] } grep { length($pairs[2 * $_ + 1] // '') } 0 .. @pairs / 2 - 1;
        print $json->encode({
            event   => 'http',
            method  => $sent->method,
            uri     => $sent->uri->as_string,
            fields  => \@sent,  # the names of the non-empty fields, in order
            status  => 0 + $response->code,
            body    => $response->decoded_content,
            guid    => scalar $response->header('X-akismet-guid'),
            error   => scalar $response->header('X-akismet-error'),
            pro_tip => scalar $response->header('X-akismet-pro-tip'),
            via     => $ENV{http_proxy},
        }), "\n";
        return $response;
    };
}

my $input = $json->decode(do { local $/; <STDIN> });
my $akismet = Net::Akismet->new(KEY => $input->{key}, URL => $input->{url});
print $json->encode({event => 'new', verified => defined $akismet ? JSON::PP::true : JSON::PP::false}), "\n";
exit 0 unless defined $akismet;

for my $call (@{$input->{calls}}) {
    my $method = $call->{call};
    die "unknown call $method" unless $method =~ /\A(?:check|spam|ham)\z/;
    my $result = $akismet->$method(%{$call->{comment}});
    print $json->encode({
        event  => 'result',
        call   => $method,
        label  => $call->{label},
        result => defined $result ? "$result" : undef,
    }), "\n";
}
