"""The shared layout: landmarks, a skip link, where you are, messages, no JavaScript."""

import re

import pytest

pytestmark = pytest.mark.django_db

# The id of every visible input, select and textarea.
CONTROL_ID = r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"'


def html_of(client, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def current_links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"[^>]*aria-current="page"', html)


def test_the_page_has_landmarks_and_a_skip_link(client):
    html = html_of(client)
    assert '<html lang="en">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<header class="site-header">' in html
    assert '<nav aria-label="Main">' in html
    assert '<main id="main" tabindex="-1">' in html
    assert '<footer class="site-footer">' in html
    assert html.index('<a class="skip-link" href="#main">') < html.index("<header")


def test_the_link_to_the_page_shown_is_marked_current(client):
    assert current_links(html_of(client, "/")) == ["/"]
    assert current_links(html_of(client, "/signup/")) == ["/signup/"]
    assert current_links(html_of(client, "/accounts/login/")) == ["/accounts/login/"]
    assert current_links(html_of(client, "/accounts/password_reset/")) == []


def test_members_see_their_links_and_not_the_sign_up_ones(client, ada):
    client.force_login(ada)
    html = html_of(client)
    for url in ("/plans/", "/plans/new/", "/reminders/", "/accounts/password_change/"):
        assert f'href="{url}"' in html
    assert 'href="/signup/"' not in html
    assert 'href="/accounts/login/"' not in html
    assert "Signed in as ada" in html


def test_visitors_see_sign_in_and_sign_up(client):
    html = html_of(client)
    assert 'href="/accounts/login/"' in html
    assert 'href="/signup/"' in html
    assert 'href="/plans/"' not in html


def test_the_footer_links_the_api(client):
    html = html_of(client)
    assert 'href="/api/v1/"' in html
    assert 'href="/api/schema/swagger-ui/"' in html


def test_messages_are_shown_once(client, ada):
    client.force_login(ada)
    response = client.get("/signup/", follow=True)  # "already signed in", then home
    html = response.content.decode()
    assert '<div class="messages" role="status">' in html
    assert '<p class="message info">You are already signed in.</p>' in html
    assert "You are already signed in." not in html_of(client)


@pytest.mark.parametrize("url", ["/", "/signup/", "/accounts/login/", "/accounts/password_reset/"])
def test_the_site_pages_work_without_javascript(client, url):
    assert "<script" not in html_of(client, url)


def test_every_control_has_a_label(client):
    for url in ("/", "/signup/", "/accounts/login/", "/accounts/password_reset/"):
        html = html_of(client, url)
        ids = re.findall(CONTROL_ID, html)
        assert ids, url
        for control in ids:
            assert f'<label for="{control}">' in html, (url, control)


def test_the_stylesheet_is_served(client):
    response = client.get("/static/web/site.css")
    assert response.status_code == 200
    css = b"".join(response.streaming_content) if response.streaming else response.content
    assert b":focus-visible" in css
    assert b'[aria-current="page"]' in css
