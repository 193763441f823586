"""Sign in, sign out, and getting back into an account through a password-reset email."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail

from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
RESET = "/accounts/password_reset/"
RESET_DONE = "/accounts/password_reset/done/"
NEW_PASSWORD = "quiet-harbour-lamp-77"


def templates_of(response) -> list[str]:
    return [template.name for template in response.templates]


@pytest.mark.parametrize(
    "url",
    [LOGIN, RESET, RESET_DONE, "/accounts/reset/done/", "/accounts/reset/MQ/bad-token/"],
)
def test_the_account_pages_are_the_sites_own(client, url):
    """Not django.contrib.admin's registration templates, which come first unless `web`
    is listed before the admin in INSTALLED_APPS."""
    response = client.get(url)
    assert response.status_code == 200
    assert "web/base.html" in templates_of(response)
    assert not any(name.startswith("admin/") for name in templates_of(response))


def test_the_sign_in_page_links_to_sign_up_and_to_a_forgotten_password(client):
    html = client.get(LOGIN, {"next": "/plans/"}).content.decode()
    assert '<label for="id_username">User name</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert f'href="{RESET}"' in html
    assert 'href="/signup/?next=/plans/"' in html
    assert '<input type="hidden" name="next" value="/plans/">' in html


def test_signing_in_goes_to_next(client, ada):
    response = client.post(LOGIN, {"username": "ada", "password": PASSWORD, "next": "/plans/"})
    assert response.status_code == 302
    assert response.url == "/plans/"
    assert client.session["_auth_user_id"] == str(ada.pk)


def test_signing_in_without_next_goes_home(client, ada):
    response = client.post(LOGIN, {"username": "ada", "password": PASSWORD})
    assert response.url == "/"


def test_a_wrong_password_says_so_and_signs_nobody_in(client, ada):
    response = client.post(LOGIN, {"username": "ada", "password": "not-it-at-all"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Please enter a correct username and password." in html
    assert "_auth_user_id" not in client.session


def test_signing_out_takes_a_post(client, ada):
    client.force_login(ada)
    assert client.get(LOGOUT).status_code == 405
    assert client.session["_auth_user_id"] == str(ada.pk)
    response = client.post(LOGOUT)
    assert response.status_code == 200
    assert "You are signed out" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_sign_out_button_is_a_post_form_with_a_csrf_token(client, ada):
    client.force_login(ada)
    html = client.get("/").content.decode()
    form = re.search(r'<form method="post" action="/accounts/logout/"[^>]*>(.*?)</form>', html)
    assert form is not None
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert '<button type="submit" class="link">Sign out</button>' in form.group(1)


def reset_link(message: mail.EmailMessage) -> str:
    found = re.findall(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert len(found) == 1, message.body
    return found[0]


def test_a_password_reset_email_lets_the_member_choose_a_new_password(client, ada):
    response = client.post(RESET, {"email": "ADA@example.org"})
    assert response.status_code == 302
    assert response.url == RESET_DONE

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.subject == "Reset your prepgraph password"
    assert message.body.startswith("Hello ada,")

    # The link trades its token for the session and redirects to a clean URL.
    response = client.get(reset_link(message), follow=True)
    assert response.status_code == 200
    assert response.context["validlink"] is True
    set_password_url = response.redirect_chain[-1][0]
    assert set_password_url.endswith("/set-password/")

    mismatched = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": "other"}
    )
    assert mismatched.status_code == 200
    assert mismatched.context["form"].errors["new_password2"]

    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done.url == "/accounts/reset/done/"
    assert "Your password is changed" in client.get(done.url).content.decode()

    client.logout()
    old = client.post(LOGIN, {"username": "ada", "password": PASSWORD})
    assert old.status_code == 200  # refused
    new = client.post(LOGIN, {"username": "ada", "password": NEW_PASSWORD})
    assert new.status_code == 302
    assert client.session["_auth_user_id"] == str(ada.pk)


def test_a_used_reset_link_no_longer_works(client, ada):
    client.post(RESET, {"email": "ada@example.org"})
    link = reset_link(mail.outbox[0])
    set_password_url = client.get(link).url
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    response = client.get(link, follow=True)
    assert response.context["validlink"] is False
    html = response.content.decode()
    assert "This link no longer works" in html
    assert f'href="{RESET}"' in html
    assert "new_password1" not in html


def test_a_mangled_reset_link_says_how_to_get_a_new_one(client, ada):
    response = client.get("/accounts/reset/MQ/bad-token/")
    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert "This link no longer works" in response.content.decode()


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, ada):
    known = client.post(RESET, {"email": "ada@example.org"})
    unknown = client.post(RESET, {"email": "nobody@example.org"})
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url) == (302, RESET_DONE)
    assert [message.to for message in mail.outbox] == [["ada@example.org"]]
    html = client.get(RESET_DONE).content.decode()
    assert "If an account uses the address you entered" in html


def test_members_can_change_their_password(client, ada):
    client.force_login(ada)
    page = client.get("/accounts/password_change/")
    assert page.status_code == 200
    assert "web/base.html" in templates_of(page)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain == [("/accounts/password_change/done/", 302)]
    assert "Your password is changed" in response.content.decode()
    ada.refresh_from_db()
    assert ada.check_password(NEW_PASSWORD)


def test_the_password_change_page_needs_a_member(client):
    response = client.get("/accounts/password_change/")
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next=/accounts/password_change/"
    assert get_user_model().objects.count() == 0
