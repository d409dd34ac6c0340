# Copyright (c) mmskd contributors. All rights reserved.
from .labelled import LABELLED_KEY, is_labelled, mark_unlabelled

__all__ = ['LABELLED_KEY', 'is_labelled', 'mark_unlabelled']
