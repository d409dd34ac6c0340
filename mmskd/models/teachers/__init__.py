# Copyright (c) mmskd contributors. All rights reserved.
from .teacher_ensemble import TeacherEnsemble, ensemble_members

__all__ = ['TeacherEnsemble', 'ensemble_members']
