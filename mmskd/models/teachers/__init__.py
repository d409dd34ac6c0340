# Copyright (c) mmskd contributors. All rights reserved.
from .teacher_ensemble import TeacherEnsemble

__all__ = ['TeacherEnsemble']
