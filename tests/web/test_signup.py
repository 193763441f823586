"""Sign-up: an account with a unique user name and email, then straight to the wizard."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.web.conftest import PASSWORD
from web.forms import SignupForm

pytestmark = pytest.mark.django_db

URL = "/signup/"
WIZARD = "/plans/new/"


def form(**changes) -> dict:
    data = {
        "username": "grace",
        "email": "grace@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    return data | changes


def errors_of(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def test_the_url_names_are_the_documented_ones():
    assert reverse("web:signup") == URL
    assert reverse("planner:plan-new") == WIZARD


def test_the_page_labels_every_field(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for field, label in [
        ("username", "User name"),
        ("email", "Email"),
        ("password1", "Password"),
        ("password2", "Password again"),
    ]:
        assert f'<label for="id_{field}">{label}</label>' in html
        assert f'id="id_{field}"' in html
    assert 'autocomplete="email"' in html
    assert 'autocomplete="new-password"' in html


def test_signing_up_creates_the_account_signs_it_in_and_opens_the_wizard(client):
    response = client.post(URL, form())
    assert response.status_code == 302
    assert response.url == WIZARD
    user = get_user_model().objects.get(username="grace")
    assert user.email == "grace@example.org"
    assert user.check_password(PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_welcome_message_shows_on_the_next_page(client):
    response = client.post(URL, form(next="/"), follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "Welcome, grace. You are signed in." in response.content.decode()
    assert "Signed in as grace" in response.content.decode()


@pytest.mark.parametrize("username", ["ada", "ADA", "Ada"])
def test_a_taken_user_name_in_any_case_is_refused(client, ada, username):
    response = client.post(URL, form(username=username))
    assert response.status_code == 200
    assert errors_of(response, "username") == ["A user with that username already exists."]
    assert get_user_model().objects.count() == 1
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("email", ["ada@example.org", "ADA@EXAMPLE.ORG", "Ada@Example.org"])
def test_a_taken_email_in_any_case_is_refused_on_the_email_field(client, ada, email):
    response = client.post(URL, form(email=email))
    assert response.status_code == 200
    assert errors_of(response, "email") == [
        "An account with this email address already exists. If it is yours, sign in, "
        "or reset its password."
    ]
    assert list(response.context["form"].errors) == ["email"]
    html = response.content.decode()
    assert 'id="id_email_error"' in html
    assert 'aria-invalid="true"' in html
    assert get_user_model().objects.count() == 1


def test_the_email_is_required(client):
    response = client.post(URL, form(email=""))
    assert errors_of(response, "email") == ["This field is required."]
    assert not get_user_model().objects.exists()


def test_mismatched_passwords_are_refused_on_the_second(client):
    response = client.post(URL, form(password2=PASSWORD + "x"))
    assert response.status_code == 200
    assert errors_of(response, "password2") == [SignupForm.error_messages["password_mismatch"]]
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("password", "This password is too common."),
        ("48151623", "This password is entirely numeric."),
        ("k8#v", "This password is too short. It must contain at least 8 characters."),
        ("grace@example.org", "The password is too similar to the email address."),
    ],
)
def test_weak_passwords_are_refused_by_the_validators(client, password, error):
    response = client.post(URL, form(password1=password, password2=password))
    assert response.status_code == 200
    assert error in errors_of(response, "password2")
    assert not get_user_model().objects.exists()


def test_errors_are_announced_at_the_top_of_the_form(client):
    html = client.post(URL, form(email="", password2="other")).content.decode()
    summary = html[html.index('<div class="message error error-summary" role="alert">') :]
    summary = summary[: summary.index("</div>")]
    assert "Please correct the fields marked below:" in summary
    # Each field in error, in the form's order, links to its control.
    assert summary.index('<a href="#id_email">Email</a>: This field is required.') < (
        summary.index('<a href="#id_password2">Password again</a>: ')
    )
    assert "User name" not in summary


def test_after_an_error_the_first_field_in_error_has_the_focus(client):
    """Not the user name (UserCreationForm's autofocus), which was fine."""
    response = client.post(URL, form(email="", password2="other"))
    html = response.content.decode()
    assert html.count("autofocus") == 1
    assert re.search(r'<input type="email" name="email"[^>]*autofocus', html)
    assert not re.search(r'<input type="text" name="username"[^>]*autofocus', html)


def test_a_fresh_form_focuses_the_user_name(client):
    html = client.get(URL).content.decode()
    assert html.count("autofocus") == 1
    assert re.search(r'<input type="text" name="username"[^>]*autofocus', html)


def test_a_signed_in_member_is_sent_home(client, ada):
    client.force_login(ada)
    for response in (client.get(URL), client.post(URL, form())):
        assert response.status_code == 302
        assert response.url == "/"
    assert get_user_model().objects.count() == 1


def test_next_on_this_site_is_followed(client):
    page = client.get(URL, {"next": "/plans/"})
    assert '<input type="hidden" name="next" value="/plans/">' in page.content.decode()
    assert 'href="/accounts/login/?next=/plans/"' in page.content.decode()
    response = client.post(URL, form(next="/plans/"))
    assert response.url == "/plans/"


def test_next_from_the_query_string_is_followed_too(client):
    response = client.post(URL + "?next=/plans/", form())
    assert response.url == "/plans/"


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.example/",
        "//evil.example/plans/",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_next_off_the_site_is_ignored(client, elsewhere):
    page = client.get(URL, {"next": elsewhere})
    assert 'name="next"' not in page.content.decode()
    response = client.post(URL, form(next=elsewhere))
    assert response.status_code == 302
    assert response.url == WIZARD


@pytest.mark.urls("tests.web.urls_without_planner")
def test_without_the_wizard_a_new_member_goes_home(client):
    response = client.post(URL, form())
    assert response.status_code == 302
    assert response.url == "/"


def test_other_methods_are_refused(client):
    assert client.put(URL).status_code == 405
