"""Pages and API routes of the helpdesk app (included at the site root by govservice/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from helpdesk import views
from helpdesk.api import console
from helpdesk.api import views as api

app_name = "helpdesk"

api_patterns = [
    path("requests/", api.AssistRequestCreateView.as_view(), name="api-request-create"),
    path("requests/<int:pk>/", api.AssistRequestDetailView.as_view(), name="api-request"),
    path("requests/<int:pk>/queue/", api.AssistRequestQueueView.as_view(), name="api-request-queue"),
    path("requests/<int:pk>/cancel/", api.AssistRequestCancelView.as_view(), name="api-request-cancel"),
    path("requests/<int:pk>/callback/", api.AssistRequestCallbackView.as_view(), name="api-request-callback"),
    path("callbacks/", api.CallbackListView.as_view(), name="api-callbacks"),
    path("callbacks/<int:pk>/claim/", api.CallbackClaimView.as_view(), name="api-callback-claim"),
    path("callbacks/<int:pk>/release/", api.CallbackReleaseView.as_view(), name="api-callback-release"),
    path("callbacks/<int:pk>/done/", api.CallbackDoneView.as_view(), name="api-callback-done"),
    path("waiting/", console.WaitingListView.as_view(), name="api-waiting"),
    path("waiting/<int:pk>/pick/", console.WaitingPickView.as_view(), name="api-waiting-pick"),
    path("replies/", console.RepliesView.as_view(), name="api-replies"),
    path("replies/<int:pk>/", console.ReplyView.as_view(), name="api-reply"),
    path("ice-servers/", api.IceServersView.as_view(), name="api-ice-servers"),
    path("sessions/", api.CallSessionListView.as_view(), name="api-sessions"),
    path("sessions/<int:pk>/", api.CallSessionDetailView.as_view(), name="api-session"),
    path("sessions/<int:pk>/hangup/", api.HangUpView.as_view(), name="api-session-hangup"),
    path("sessions/<int:pk>/wrap-up/", api.WrapUpView.as_view(), name="api-session-wrap-up"),
    path("sessions/<int:pk>/invites/", api.InvitesView.as_view(), name="api-session-invites"),
    path("sessions/<int:pk>/members/", api.MembersView.as_view(), name="api-session-members"),
    path("sessions/<int:pk>/side-panel/", api.SidePanelView.as_view(), name="api-session-side-panel"),
    path("sessions/<int:pk>/notes/", api.NotesView.as_view(), name="api-session-notes"),
    path("sessions/<int:pk>/draft/", api.SharedDraftView.as_view(), name="api-session-draft"),
    path("sessions/<int:pk>/draft/prechecks/", api.PreCheckView.as_view(), name="api-session-draft-precheck"),
    path("sessions/<int:pk>/draft/materials/", api.DraftUploadView.as_view(), name="api-session-draft-upload"),
    path("sessions/<int:pk>/draft/submit/", api.DraftSubmitView.as_view(), name="api-session-draft-submit"),
    path("sessions/<int:pk>/draft/form/", api.DraftFormView.as_view(), name="api-session-draft-form"),
    path("sessions/<int:pk>/identity/", api.IdentityCheckView.as_view(), name="api-session-identity"),
    path("sessions/<int:pk>/recordings/", api.SessionRecordingsView.as_view(), name="api-session-recordings"),
    path("recordings/<int:pk>/", api.RecordingFileView.as_view(), name="api-recording-file"),
    path("sessions/<int:pk>/rating/", api.RatingView.as_view(), name="api-session-rating"),
    path("sessions/<int:pk>/snapshots/", api.SnapshotView.as_view(), name="api-session-snapshot"),
    path("sessions/<int:pk>/case-materials/", api.CaseMaterialsView.as_view(), name="api-session-case-materials"),
    path("snapshots/<int:pk>/", api.SnapshotFileView.as_view(), name="api-snapshot-file"),
    path("figures/live/", api.LiveFiguresView.as_view(), name="api-figures-live"),
    path("figures/period/", api.PeriodFiguresView.as_view(), name="api-figures-period"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("assist/", views.citizen_page, name="citizen"),
    path("assist/start/", views.assist_start, name="start"),
    path("assist/r/<int:pk>/", views.request_page, name="request"),
    path("assist/console/", views.console_page, name="console"),
    path("assist/calls/<int:pk>/recordings/", views.recordings_page, name="recordings"),
    path("api/assist/", include(api_patterns)),
]
