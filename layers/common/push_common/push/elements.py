"""Typed message elements (docs/upstream.md §4): snake_case in, every wire field covered."""

# Models: no `from __future__ import annotations`, so pydantic need not evaluate annotation
# strings when each class is created on a cold start (docs/decisions.md §26).

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from push_common.push.rules import check_text

Text = Annotated[str, AfterValidator(check_text)]
NonEmptyText = Annotated[str, Field(min_length=1), AfterValidator(check_text)]
Count = Annotated[int, Field(ge=0)]


class StrictModel(BaseModel):
    """Unknown fields are errors (a typo must never silently drop a condition); no coercion.

    Validators are built on first use, not at import: a request builds only the models it
    reaches, and one schema for a whole request (docs/architecture.md §10)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class TextElement(StrictModel):
    type: Literal["text"]
    text: NonEmptyText


class LocationElement(StrictModel):
    type: Literal["location"]
    desc: Text
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]


class FaceElement(StrictModel):
    type: Literal["face"]
    index: Count
    data: Text = ""


class CustomElement(StrictModel):
    type: Literal["custom"]
    data: Text
    desc: Text | None = None
    ext: Text | None = None
    sound: Text | None = None


class SoundElement(StrictModel):
    type: Literal["sound"]
    url: NonEmptyText
    uuid: NonEmptyText
    size: Count = 0
    second: Count = 0
    download_flag: Literal[2] = 2


class ImageInfo(StrictModel):
    type: Literal[1, 2, 3]
    url: NonEmptyText
    width: Count
    height: Count
    size: Count = 0


class ImageElement(StrictModel):
    type: Literal["image"]
    uuid: NonEmptyText
    image_format: Literal[1, 2, 3, 4, 255]
    image_info_array: Annotated[list[ImageInfo], Field(min_length=1, max_length=3)]


class FileElement(StrictModel):
    type: Literal["file"]
    url: NonEmptyText
    uuid: NonEmptyText
    file_size: Count = 0
    file_name: Text = ""
    download_flag: Literal[2] = 2


class VideoElement(StrictModel):
    type: Literal["video"]
    video_url: NonEmptyText
    video_uuid: NonEmptyText
    video_size: Count = 0
    video_second: Count = 0
    video_format: Text = ""
    video_download_flag: Literal[2] = 2
    thumb_url: NonEmptyText
    thumb_uuid: NonEmptyText
    thumb_width: Count
    thumb_height: Count
    thumb_size: Count = 0
    thumb_format: Text = ""
    thumb_download_flag: Literal[2] = 2


Element = Annotated[
    TextElement
    | LocationElement
    | FaceElement
    | CustomElement
    | SoundElement
    | ImageElement
    | FileElement
    | VideoElement,
    Field(discriminator="type"),
]
ELEMENT_TYPES = frozenset({"text", "location", "face", "custom", "sound", "image", "file", "video"})
